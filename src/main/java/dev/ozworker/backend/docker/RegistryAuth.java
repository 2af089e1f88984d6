package dev.ozworker.backend.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.AuthConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Registry credentials from the Docker config file ({@code config.json} in {@code DOCKER_CONFIG},
 * else {@code ~/.docker}), as the {@code docker} CLI finds them: a registry's {@code credHelpers}
 * entry, else the {@code credsStore}, else its {@code auths} entry. Helpers are run as {@code
 * docker-credential-<name> get} with the registry on stdin.
 */
final class RegistryAuth {
  private static final String TOKEN_USER = "<token>";
  private static final long HELPER_TIMEOUT_SECONDS = 30;

  private final Path configFile;
  private final Function<String, String> helperCommand;
  private final ObjectMapper json = new ObjectMapper();

  /**
   * @param configDir the directory holding {@code config.json}
   * @param helperCommand a helper's name ({@code credHelpers} value) to the command that runs it
   */
  RegistryAuth(Path configDir, Function<String, String> helperCommand) {
    this.configFile = configDir.resolve("config.json");
    this.helperCommand = helperCommand;
  }

  /** Helpers found on the worker's PATH, as the Docker CLI finds them. */
  RegistryAuth(Path configDir) {
    this(configDir, name -> "docker-credential-" + name);
  }

  /**
   * The credentials for the registry of {@code image}; empty when the config file has none (an
   * anonymous pull).
   *
   * @throws IOException when the config file or a helper cannot be read; the message names the file
   *     or helper, never a credential
   */
  Optional<AuthConfig> forImage(ImageName image) throws IOException {
    JsonNode config;
    try {
      config = json.readTree(Files.readString(configFile));
    } catch (NoSuchFileException absent) {
      return Optional.empty();
    } catch (IOException e) {
      throw new IOException("cannot read the Docker config file " + configFile, e);
    }
    if (config == null || !config.isObject()) {
      return Optional.empty();
    }
    String key = image.authKey();
    String helper = config.path("credHelpers").path(key).asText("");
    if (helper.isEmpty()) {
      helper = config.path("credsStore").asText("");
    }
    if (!helper.isEmpty()) {
      Optional<AuthConfig> fromHelper = fromHelper(helper, key);
      if (fromHelper.isPresent()) {
        return fromHelper;
      }
    }
    JsonNode entry = config.path("auths").path(key);
    return entry.isObject() ? fromAuthsEntry(entry, key) : Optional.empty();
  }

  private Optional<AuthConfig> fromAuthsEntry(JsonNode entry, String key) {
    String username = entry.path("username").asText("");
    String password = entry.path("password").asText("");
    String auth = entry.path("auth").asText("");
    if (!auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
      int colon = decoded.indexOf(':');
      if (colon > 0) {
        username = decoded.substring(0, colon);
        password = decoded.substring(colon + 1);
      }
    }
    String identityToken = entry.path("identitytoken").asText("");
    if (username.isEmpty() && identityToken.isEmpty()) {
      return Optional.empty();
    }
    AuthConfig config = new AuthConfig().withRegistryAddress(key);
    if (!identityToken.isEmpty()) {
      config.withIdentityToken(identityToken);
    }
    if (!username.isEmpty()) {
      config.withUsername(username).withPassword(password);
    }
    return Optional.of(config);
  }

  private Optional<AuthConfig> fromHelper(String helper, String key) throws IOException {
    String command = helperCommand.apply(helper);
    Process process;
    try {
      process =
          new ProcessBuilder(command, "get").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      throw new IOException("cannot run the Docker credential helper " + command, e);
    }
    try (OutputStream stdin = process.getOutputStream()) {
      stdin.write(key.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // A helper that answers without reading the registry may have exited already, and the JDK
      // then refuses the write ("Stream closed"): its exit status and answer below still decide.
    }
    try {
      if (!process.waitFor(HELPER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("the Docker credential helper " + command + " did not answer");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while asking the credential helper " + command, e);
    }
    // the answer is a few hundred bytes: it fits the pipe, so waiting first cannot deadlock
    byte[] out;
    try (InputStream stdout = process.getInputStream()) {
      out = stdout.readNBytes(64 * 1024);
    }
    if (process.exitValue() != 0) {
      // helpers exit non-zero for "credentials not found": an anonymous pull may still work
      return Optional.empty();
    }
    JsonNode answer;
    try {
      answer = json.readTree(out);
    } catch (IOException e) {
      throw new IOException("the Docker credential helper " + command + " gave no JSON");
    }
    String username = answer.path("Username").asText("");
    String secret = answer.path("Secret").asText("");
    if (secret.isEmpty()) {
      return Optional.empty();
    }
    AuthConfig config = new AuthConfig().withRegistryAddress(key);
    return Optional.of(
        TOKEN_USER.equals(username)
            ? config.withIdentityToken(secret)
            : config.withUsername(username).withPassword(secret));
  }
}
