package io.tviewd.config;

/** The HTTP endpoints (health, metrics, API). */
public record HttpConfig(String host, int port, Secret token) {

    public HttpConfig withPort(int newPort) {
        return new HttpConfig(host, newPort, token);
    }
}
