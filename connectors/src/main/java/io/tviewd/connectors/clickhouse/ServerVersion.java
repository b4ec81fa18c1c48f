package io.tviewd.connectors.clickhouse;

/** A ClickHouse server's version, and the features the sink uses that depend on it. */
record ServerVersion(int major, int minor, String text) {

    static ServerVersion parse(String text) {
        String[] p = text.strip().split("\\.");
        try {
            return new ServerVersion(Integer.parseInt(p[0]), p.length > 1 ? Integer.parseInt(p[1]) : 0, text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ClickHouse reported version '" + text + "', which is not major.minor…");
        }
    }

    /** {@code DateTime64} exists from 20.1 on. */
    boolean hasDateTime64() {
        return major >= 20;
    }

    /** {@code ReplacingMergeTree(version, is_deleted)} exists from 23.2 on. */
    boolean hasIsDeleted() {
        return major > 23 || (major == 23 && minor >= 2);
    }
}
