package io.tviewd.config;

/**
 * The HTTP endpoints (health, metrics, API).
 *
 * @param metricsPublic {@code /metrics} answers without the token even when one is set
 * @param allowedHosts names the {@code Host} header may carry; empty means, on a loopback address, only loopback names
 *        (a browser tricked by DNS rebinding sends another name), elsewhere any
 * @param tlsCertFile PEM certificate chain; with {@code tlsKeyFile} the server speaks HTTPS only (empty: plain HTTP)
 * @param tlsKeyFile PEM private key of the certificate
 */
public record HttpConfig(String host, int port, Secret token, boolean metricsPublic, java.util.List<String> allowedHosts,
                         String tlsCertFile, String tlsKeyFile) {

    public HttpConfig {
        allowedHosts = java.util.List.copyOf(allowedHosts);
    }

    public HttpConfig(String host, int port, Secret token) {
        this(host, port, token, false, java.util.List.of(), "", "");
    }

    public boolean tls() {
        return !tlsCertFile.isEmpty();
    }

    public HttpConfig withPort(int newPort) {
        return new HttpConfig(host, newPort, token, metricsPublic, allowedHosts, tlsCertFile, tlsKeyFile);
    }
}
