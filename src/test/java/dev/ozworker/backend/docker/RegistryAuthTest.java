package dev.ozworker.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.model.AuthConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Credentials as the Docker CLI finds them; helpers are real scripts run as processes. */
class RegistryAuthTest {
  @TempDir Path dir;

  @Test
  void noConfigFileMeansAnAnonymousPull() throws IOException {
    assertThat(new RegistryAuth(dir).forImage(ImageName.parse("ubuntu"))).isEmpty();
  }

  @Test
  void readsBase64CredentialsFromAuths() throws IOException {
    String auth =
        Base64.getEncoder().encodeToString("hub-user:hub-pass".getBytes(StandardCharsets.UTF_8));
    config(
        "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\""
            + auth
            + "\"},"
            + "\"ghcr.io\":{\"identitytoken\":\"tok\"}}}");

    Optional<AuthConfig> hub = new RegistryAuth(dir).forImage(ImageName.parse("team/agent:1"));
    Optional<AuthConfig> ghcr = new RegistryAuth(dir).forImage(ImageName.parse("ghcr.io/o/r"));

    assertThat(hub)
        .hasValueSatisfying(
            c -> {
              assertThat(c.getUsername()).isEqualTo("hub-user");
              assertThat(c.getPassword()).isEqualTo("hub-pass");
              assertThat(c.getRegistryAddress()).isEqualTo("https://index.docker.io/v1/");
            });
    assertThat(ghcr).hasValueSatisfying(c -> assertThat(c.getIdentitytoken()).isEqualTo("tok"));
    assertThat(new RegistryAuth(dir).forImage(ImageName.parse("quay.io/x/y"))).isEmpty();
  }

  @Test
  void asksTheRegistrysCredentialHelperBeforeTheStore() throws IOException {
    Path helper =
        helper(
            "registry",
            "read server; echo"
                + " \"{\\\"ServerURL\\\":\\\"$server\\\",\\\"Username\\\":\\\"via-helper\\\",\\\"Secret\\\":\\\"pw-$server\\\"}\"");
    Path store =
        helper("store", "read server; echo '{\"Username\":\"<token>\",\"Secret\":\"identity\"}'");
    config("{\"credsStore\":\"store\",\"credHelpers\":{\"registry.example:5000\":\"registry\"}}");
    RegistryAuth auth =
        new RegistryAuth(dir, name -> dir.resolve("docker-credential-" + name).toString());

    Optional<AuthConfig> viaHelper = auth.forImage(ImageName.parse("registry.example:5000/a/b"));
    Optional<AuthConfig> viaStore = auth.forImage(ImageName.parse("ghcr.io/o/r"));

    assertThat(helper).exists();
    assertThat(store).exists();
    assertThat(viaHelper)
        .hasValueSatisfying(
            c -> {
              assertThat(c.getUsername()).isEqualTo("via-helper");
              assertThat(c.getPassword()).isEqualTo("pw-registry.example:5000");
            });
    assertThat(viaStore)
        .hasValueSatisfying(c -> assertThat(c.getIdentitytoken()).isEqualTo("identity"));
  }

  @Test
  void aHelperThatKnowsNothingLeavesThePullAnonymous() throws IOException {
    helper("empty", "echo 'credentials not found in native keychain'; exit 1");
    config("{\"credsStore\":\"empty\"}");

    assertThat(
            new RegistryAuth(dir, name -> dir.resolve("docker-credential-" + name).toString())
                .forImage(ImageName.parse("ubuntu")))
        .isEmpty();
  }

  @Test
  void aMissingHelperIsNamedInTheError() throws IOException {
    config("{\"credsStore\":\"nowhere\"}");

    assertThatThrownBy(
            () ->
                new RegistryAuth(dir, name -> dir.resolve("docker-credential-" + name).toString())
                    .forImage(ImageName.parse("ubuntu")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("docker-credential-nowhere");
  }

  private void config(String json) throws IOException {
    Files.writeString(dir.resolve("config.json"), json);
  }

  private Path helper(String name, String body) throws IOException {
    Path script = dir.resolve("docker-credential-" + name);
    Files.writeString(script, "#!/bin/sh\n[ \"$1\" = get ] || exit 2\n" + body + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }
}
