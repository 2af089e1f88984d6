package dev.ozworker.backend.docker;

import java.util.Optional;

/**
 * An image reference taken apart as Docker reads it: {@code [registry/]repository[:tag][@digest]}.
 *
 * @param registry the registry host (with port), {@code docker.io} when the reference names none
 * @param path the repository path inside the registry, e.g. {@code library/ubuntu}
 * @param tag the tag; empty when the reference has a digest and no tag, else {@code latest} at
 *     least
 * @param digest the digest, e.g. {@code sha256:…}, when the reference pins one
 */
public record ImageName(String registry, String path, String tag, Optional<String> digest) {
  static final String DOCKER_HUB = "docker.io";

  /** Reads {@code reference}; never fails, as Docker itself judges what it cannot pull. */
  public static ImageName parse(String reference) {
    String rest = reference.strip();
    Optional<String> digest = Optional.empty();
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = Optional.of(rest.substring(at + 1));
      rest = rest.substring(0, at);
    }
    String tag = "";
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
    }
    if (tag.isEmpty() && digest.isEmpty()) {
      tag = "latest";
    }
    String registry = DOCKER_HUB;
    int slash = rest.indexOf('/');
    if (slash > 0) {
      String first = rest.substring(0, slash);
      // Docker's rule: the first component is a registry when it looks like a host
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        registry = first;
        rest = rest.substring(slash + 1);
      }
    }
    if (registry.equals("index.docker.io")) {
      registry = DOCKER_HUB;
    }
    if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
      rest = "library/" + rest;
    }
    return new ImageName(registry, rest, tag, digest);
  }

  /**
   * The repository as people write it: without tag and digest, without {@code docker.io/library/}
   * (e.g. {@code ubuntu}, {@code warpdotdev/agent}, {@code localhost:5000/agent}).
   */
  public String familiarRepository() {
    if (registry.equals(DOCKER_HUB)) {
      return path.startsWith("library/") ? path.substring("library/".length()) : path;
    }
    return registry + "/" + path;
  }

  /** What {@code fromImage} of a pull takes: the repository, with the digest when pinned. */
  String pullRepository() {
    return familiarRepository() + digest.map(d -> "@" + d).orElse("");
  }

  /** The key of the registry's credentials in the Docker config file. */
  String authKey() {
    return registry.equals(DOCKER_HUB) ? "https://index.docker.io/v1/" : registry;
  }
}
