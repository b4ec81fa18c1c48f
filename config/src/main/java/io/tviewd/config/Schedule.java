package io.tviewd.config;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;

/**
 * When a {@code scheduled} tview is refreshed: a fixed interval between runs ({@code 30s}, {@code 5m})
 * or a five-field cron expression in UTC ({@code minute hour day-of-month month day-of-week}, with
 * {@code *}, numbers, {@code a-b} ranges, {@code ,} lists and {@code /n} steps; day-of-week 0-7, 0 and 7 = Sunday;
 * when both day fields are restricted a day matches either, as in cron).
 */
public final class Schedule {

    private final String text;
    private final Duration interval;
    private final BitSet[] fields;
    /** Day-of-month and day-of-week both restricted: as in cron, a day matches when either does. */
    private final boolean eitherDay;

    private Schedule(String text, Duration interval, BitSet[] fields, boolean eitherDay) {
        this.text = text;
        this.interval = interval;
        this.fields = fields;
        this.eitherDay = eitherDay;
    }

    public static Schedule every(Duration interval) {
        return new Schedule(ConfigKeys.format(interval), interval, null, false);
    }

    /**
     * Parses a duration or a cron expression.
     *
     * @throws IllegalArgumentException with the rule, when it is neither
     */
    public static Schedule parse(String text) {
        String t = text.trim();
        if (!t.contains(" ")) {
            try {
                Duration d = KeyType.parseDuration(t);
                if (d.compareTo(Duration.ofMillis(100)) < 0) {
                    throw new IllegalArgumentException("an interval must be at least 100ms");
                }
                if (d.compareTo(Duration.ofDays(366)) > 0) {
                    // a longer one overflows the next run's time and the schedule would stop without a word
                    throw new IllegalArgumentException("an interval must be at most 366d (use a cron expression for rarer runs)");
                }
                return new Schedule(t, d, null, false);
            } catch (IllegalArgumentException e) {
                if (e.getMessage() != null) {
                    throw e;
                }
                throw new IllegalArgumentException("expected an interval like 30s or 5m, or a cron expression like '*/5 * * * *'");
            }
        }
        String[] parts = t.split("\\s+");
        if (parts.length != 5) {
            throw new IllegalArgumentException("a cron expression has 5 fields (minute hour day-of-month month day-of-week), not "
                    + parts.length);
        }
        int[][] ranges = {{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}};
        String[] names = {"minute", "hour", "day-of-month", "month", "day-of-week"};
        BitSet[] fields = new BitSet[5];
        for (int i = 0; i < 5; i++) {
            fields[i] = field(parts[i], ranges[i][0], ranges[i][1], names[i]);
        }
        if (fields[4].get(7)) {
            fields[4].set(0);
        }
        boolean eitherDay = !parts[2].equals("*") && !parts[4].equals("*");
        if (!eitherDay && !someDayExists(fields[3], fields[2])) {
            throw new IllegalArgumentException("cron expression '" + t + "' never fires: no month it names has the day of month it names");
        }
        return new Schedule(t, null, fields, eitherDay);
    }

    /** True when some month in {@code months} has some day in {@code days} (February counted with its 29th). */
    private static boolean someDayExists(BitSet months, BitSet days) {
        int[] length = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        for (int m = 1; m <= 12; m++) {
            if (months.get(m) && days.nextSetBit(1) >= 1 && days.nextSetBit(1) <= length[m - 1]) {
                return true;
            }
        }
        return false;
    }

    private static BitSet field(String spec, int min, int max, String name) {
        BitSet out = new BitSet(max + 1);
        for (String part : spec.split(",")) {
            int step = 1;
            String range = part;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                step = number(part.substring(slash + 1), 1, max, name);
                range = part.substring(0, slash);
            }
            int from;
            int to;
            if (range.equals("*")) {
                from = min;
                to = max;
            } else if (range.contains("-")) {
                from = number(range.substring(0, range.indexOf('-')), min, max, name);
                to = number(range.substring(range.indexOf('-') + 1), min, max, name);
            } else {
                from = number(range, min, max, name);
                to = slash >= 0 ? max : from;
            }
            if (from > to) {
                throw new IllegalArgumentException("cron " + name + " range '" + range + "' is empty");
            }
            for (int v = from; v <= to; v += step) {
                out.set(v);
            }
        }
        return out;
    }

    private static int number(String s, int min, int max, String name) {
        try {
            int v = Integer.parseInt(s);
            if (v < min || v > max) {
                throw new IllegalArgumentException("cron " + name + " value " + v + " is outside " + min + "-" + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cron " + name + " field has '" + s + "', not a number");
        }
    }

    /** The interval, or null for a cron schedule. */
    public Duration interval() {
        return interval;
    }

    /** The next run after {@code after}: {@code after + interval}, or the next matching minute (UTC). */
    public Instant next(Instant after) {
        if (interval != null) {
            return after.plus(interval);
        }
        ZonedDateTime t = after.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        for (int i = 0; i < 5 * 366 * 24 * 60; i++) {
            boolean dom = fields[2].get(t.getDayOfMonth());
            boolean dow = fields[4].get(t.getDayOfWeek().getValue() % 7);
            boolean dayMatches = eitherDay ? dom || dow : dom && dow;
            if (fields[3].get(t.getMonthValue()) && dayMatches && fields[1].get(t.getHour()) && fields[0].get(t.getMinute())) {
                return t.toInstant();
            }
            t = t.plusMinutes(1);
        }
        throw new IllegalStateException("cron expression '" + text + "' never fires");
    }

    @Override
    public String toString() {
        return text;
    }
}
