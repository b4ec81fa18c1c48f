package io.tviewd.connectors.clickhouse;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * How one PostgreSQL column is stored in ClickHouse, and how its value (as {@code to_jsonb} renders it in the event)
 * is written into a {@code JSONEachRow} line. The mapping (README "ClickHouse sink"):
 * {@code smallint/integer/bigint} → {@code Int16/Int32/Int64}; {@code real/double precision} → {@code Float32/Float64};
 * {@code numeric(p,s)} (p ≤ 38) → {@code Decimal(p,s)}, unconstrained or wider numeric → {@code String} (exact text);
 * {@code boolean} → {@code UInt8}; {@code date} → {@code Date}; {@code timestamp[tz]} → {@code DateTime('UTC')}
 * (seconds) or {@code DateTime64(6, 'UTC')} on servers that have it (20.1 and later); {@code json/jsonb} and anything
 * else (text, uuid, enums, arrays) → {@code String}; a nullable column → {@code Nullable(…)}.
 */
enum ColumnType {
    INT, FLOAT, DECIMAL, BOOL, DATE, DATETIME, DATETIME64, JSON, TEXT;

    private static final DateTimeFormatter MICROS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");
    private static final long DATETIME_MAX = 4_294_967_295L;
    private static final LocalDate DATE_MIN = LocalDate.of(1970, 1, 1);
    private static final LocalDate DATE_MAX = LocalDate.of(2149, 6, 6);

    /** A value the column's ClickHouse type cannot hold: the row is refused (reported, counted), never clamped. */
    static final class Unrepresentable extends Exception {
        Unrepresentable(String message) {
            super(message);
        }
    }

    /** The kind of a PostgreSQL column ({@code pg_type.typname}, {@code typtype}; numeric precision when declared). */
    static ColumnType of(String typname, String typtype, Integer precision, boolean dateTime64) {
        if (!"b".equals(typtype)) {
            return TEXT;
        }
        return switch (typname) {
            case "int2", "int4", "int8" -> INT;
            case "float4", "float8" -> FLOAT;
            case "numeric" -> precision != null && precision <= 38 ? DECIMAL : TEXT;
            case "bool" -> BOOL;
            case "date" -> DATE;
            case "timestamp", "timestamptz" -> dateTime64 ? DATETIME64 : DATETIME;
            case "json", "jsonb" -> JSON;
            default -> TEXT;
        };
    }

    /** The ClickHouse type of a column of this kind. */
    static String clickhouse(ColumnType kind, String typname, Integer precision, Integer scale, boolean nullable) {
        String base = switch (kind) {
            case INT -> switch (typname) {
                case "int2" -> "Int16";
                case "int4" -> "Int32";
                default -> "Int64";
            };
            case FLOAT -> "float4".equals(typname) ? "Float32" : "Float64";
            case DECIMAL -> "Decimal(" + precision + ", " + scale + ")";
            case BOOL -> "UInt8";
            case DATE -> "Date";
            case DATETIME -> "DateTime('UTC')";
            case DATETIME64 -> "DateTime64(6, 'UTC')";
            case JSON, TEXT -> "String";
        };
        return nullable ? "Nullable(" + base + ")" : base;
    }

    /** Writes {@code value} (null or missing: SQL NULL) as this kind. */
    void write(JsonGenerator g, JsonNode value) throws java.io.IOException, Unrepresentable {
        if (value == null || value.isNull() || value.isMissingNode()) {
            g.writeNull();
            return;
        }
        switch (this) {
            case INT -> {
                if (!value.isIntegralNumber()) {
                    throw new Unrepresentable("'" + value + "' is not an integer");
                }
                g.writeNumber(value.bigIntegerValue());
            }
            case FLOAT -> {
                if (value.isNumber()) {
                    g.writeNumber(value.doubleValue());
                } else {
                    // to_jsonb renders NaN and infinities as strings; ClickHouse reads nan, inf, -inf
                    switch (value.asText()) {
                        case "NaN" -> g.writeRawValue("nan");
                        case "Infinity" -> g.writeRawValue("inf");
                        case "-Infinity" -> g.writeRawValue("-inf");
                        default -> throw new Unrepresentable("'" + value + "' is not a number");
                    }
                }
            }
            case DECIMAL -> {
                if (!value.isNumber()) {
                    throw new Unrepresentable("'" + value.asText() + "' is not a finite number (Decimal holds none)");
                }
                BigDecimal d = value.decimalValue();
                g.writeRawValue(d.toPlainString());
            }
            case BOOL -> g.writeNumber(value.asBoolean() ? 1 : 0);
            case DATE -> {
                LocalDate d;
                try {
                    d = LocalDate.parse(value.asText());
                } catch (DateTimeParseException e) {
                    throw new Unrepresentable("'" + value.asText() + "' is not a date ClickHouse's Date holds (1970-01-01 to 2149-06-06)");
                }
                if (d.isBefore(DATE_MIN) || d.isAfter(DATE_MAX)) {
                    throw new Unrepresentable("'" + d + "' is outside ClickHouse's Date range (1970-01-01 to 2149-06-06)");
                }
                g.writeString(d.toString());
            }
            case DATETIME, DATETIME64 -> {
                Instant t = instant(value.asText());
                if (this == DATETIME) {
                    long s = t.getEpochSecond();
                    if (s < 0 || s > DATETIME_MAX) {
                        throw new Unrepresentable("'" + value.asText() + "' is outside ClickHouse's DateTime range (1970 to 2106)");
                    }
                    g.writeNumber(s);
                } else {
                    g.writeString(MICROS.format(LocalDateTime.ofInstant(t, ZoneOffset.UTC)));
                }
            }
            case JSON -> g.writeString(jsonText(value));
            case TEXT -> g.writeString(value.isTextual() ? value.textValue() : value.toString());
        }
    }

    /** True when ClickHouse's {@code toString} of a stored value ({@code \\N} for NULL) holds {@code value} as {@link #write} would store it. */
    boolean same(JsonNode value, String stored) {
        boolean isNull = value == null || value.isNull() || value.isMissingNode();
        if (isNull || "\\N".equals(stored)) {
            return isNull && "\\N".equals(stored);
        }
        try {
            return switch (this) {
                case INT -> value.bigIntegerValue().equals(new java.math.BigInteger(stored));
                case FLOAT -> value.isNumber() ? Double.compare(value.doubleValue(), Double.parseDouble(stored)) == 0
                        : stored.equalsIgnoreCase(value.asText().replace("Infinity", "inf").replace("NaN", "nan"));
                case DECIMAL -> value.isNumber() && value.decimalValue().compareTo(new BigDecimal(stored)) == 0;
                case BOOL -> stored.equals(value.asBoolean() ? "1" : "0");
                case DATE -> stored.equals(value.asText());
                case DATETIME -> stored.equals(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
                        .format(LocalDateTime.ofEpochSecond(instant(value.asText()).getEpochSecond(), 0, ZoneOffset.UTC)));
                case DATETIME64 -> stored.equals(MICROS.format(LocalDateTime.ofInstant(instant(value.asText()), ZoneOffset.UTC)));
                case JSON -> stored.equals(jsonText(value));
                case TEXT -> stored.equals(value.isTextual() ? value.textValue() : value.toString());
            };
        } catch (NumberFormatException | Unrepresentable e) {
            return false;
        }
    }

    /** The compact JSON text of a value, as {@code value.toString()} renders it (and as events carry it). */
    static String jsonText(JsonNode value) {
        return io.tviewd.connectors.events.JsonText.of(value);
    }

    /** A timestamp as {@code to_jsonb} renders it: with an offset (timestamptz) or without (timestamp, taken as UTC). */
    private static Instant instant(String text) throws Unrepresentable {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                throw new Unrepresentable("'" + text + "' is not a timestamp ClickHouse's DateTime holds (1970 to 2106)");
            }
        }
    }
}
