package io.tviewd.daemon.support;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made with the JDK's keytool: as a PKCS#12 key store
 * ({@link #PASSWORD}) and as PEM certificate and unencrypted PKCS#8 key.
 */
public record SelfSignedCertificate(Path keyStore, Path certPem, Path keyPem, Certificate certificate) {

    public static final String PASSWORD = "changeit";

    public static SelfSignedCertificate create(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path p12 = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "tviewd", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12", "-keystore", p12.toString(),
                "-storepass", PASSWORD, "-keypass", PASSWORD)).redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes());
        if (keytool.waitFor() != 0) {
            throw new IllegalStateException("keytool failed: " + out);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        Certificate cert = ks.getCertificate("tviewd");
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes());
        Path certPem = Files.writeString(dir.resolve("cert.pem"),
                "-----BEGIN CERTIFICATE-----\n" + b64.encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Path keyPem = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + b64.encodeToString(ks.getKey("tviewd", PASSWORD.toCharArray()).getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        return new SelfSignedCertificate(p12, certPem, keyPem, cert);
    }
}
