package io.tviewd.config;

/** Connection to the PostgreSQL database whose tviews are maintained. */
public record DatabaseConfig(String url, String user, Secret password) {

    /** True when no URL is configured (then only {@code demo} can run, on an embedded database). */
    public boolean isEmbedded() {
        return url.isEmpty();
    }

    /** The URL as it may be shown: a password in it ({@code password=…} or {@code user:password@}) is masked. */
    public String redactedUrl() {
        return redact(url);
    }

    /** Masks the password parameter and any {@code user:password@} part of a JDBC URL. */
    public static String redact(String url) {
        return url.replaceAll("(?i)([?&]password=)[^&]*", "$1" + Secret.MASK).replaceAll("(//[^/@:?]*:)[^/@?]*@", "$1" + Secret.MASK + "@");
    }

    @Override
    public String toString() {
        return "DatabaseConfig[url=" + redactedUrl() + ", user=" + user + ", password=" + password + "]";
    }
}
