package io.tviewd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;

/** The HTTP endpoints over TLS with a PEM certificate and key; HTTPS only, and a key that does not load named at start. */
class HttpTlsIT {

    @TempDir
    Path dir;

    @Test
    void withACertificateAndKey_theEndpointsSpeakHttpsOnly_andAKeyThatDoesNotLoadStopsTheStartNamingIt() throws Exception {
        Certificate cert = io.tviewd.daemon.support.SelfSignedCertificate.create(dir).certificate();
        DatabaseConfig db = BlogDatabase.create("http_tls", 3, 3, 3);
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "http_tls",
                "TVIEWD_HTTP_TLS_CERT_FILE", dir.resolve("cert.pem").toString(), "TVIEWD_HTTP_TLS_KEY_FILE", dir.resolve("key.pem").toString()))) {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("tviewd", cert);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            HttpClient client = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + daemon.httpPort() + "/health/ready"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"status\"");
            // plain HTTP on the same port gets no answer
            assertThatThrownBy(() -> HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort() + "/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
        }

        Files.writeString(dir.resolve("broken-key.pem"), "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "http_tls",
                "TVIEWD_HTTP_TLS_CERT_FILE", dir.resolve("cert.pem").toString(), "TVIEWD_HTTP_TLS_KEY_FILE", dir.resolve("broken-key.pem").toString())))
                .hasStackTraceContaining("The HTTP endpoints cannot listen on 127.0.0.1:0 with TLS (http.tls-cert-file " + dir.resolve("cert.pem")
                        + ", http.tls-key-file " + dir.resolve("broken-key.pem") + ": both PEM, the key unencrypted and matching the certificate)");
    }
}
