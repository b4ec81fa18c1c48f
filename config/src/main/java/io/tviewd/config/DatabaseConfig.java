package io.tviewd.config;

/** Connection to the PostgreSQL database whose tviews are maintained. */
public record DatabaseConfig(String url, String user, Secret password) {

    /** True when no URL is configured (then only {@code demo} can run, on an embedded database). */
    public boolean isEmbedded() {
        return url.isEmpty();
    }

    @Override
    public String toString() {
        return "DatabaseConfig[url=" + url + ", user=" + user + ", password=" + password + "]";
    }
}
