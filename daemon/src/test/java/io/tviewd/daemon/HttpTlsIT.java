package io.tviewd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

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
        Certificate cert = selfSigned();
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

    /** A self-signed certificate for 127.0.0.1 made with the JDK's keytool, written as cert.pem and key.pem. */
    private Certificate selfSigned() throws Exception {
        Path p12 = dir.resolve("http.p12");
        Process keytool = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "tviewd", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12", "-keystore", p12.toString(),
                "-storepass", "changeit", "-keypass", "changeit")).redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes());
        assertThat(keytool.waitFor()).as(out).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, "changeit".toCharArray());
        }
        Certificate cert = ks.getCertificate("tviewd");
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes());
        Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n" + b64.encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + b64.encodeToString(ks.getKey("tviewd", "changeit".toCharArray()).getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        return cert;
    }
}
