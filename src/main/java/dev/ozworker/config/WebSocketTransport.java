package dev.ozworker.config;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Whether the link to Oz may be unencrypted. The upgrade request carries the API key and every
 * assignment carries the task's secrets, so {@code ws://} is allowed only to this machine's
 * loopback (tests, a local proxy), or when the operator says the path is protected otherwise.
 */
final class WebSocketTransport {
  private static final Pattern IPV4_LOOPBACK =
      Pattern.compile("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");

  private static final Pattern HEX_GROUP = Pattern.compile("[0-9a-f]{1,4}");

  private WebSocketTransport() {}

  /** What is wrong with dialling {@code url}; empty when it is encrypted, loopback or allowed. */
  static Optional<String> problem(URI url, boolean insecureAllowed) {
    if (!"ws".equals(url.getScheme()) || insecureAllowed || isLoopback(url.getHost())) {
      return Optional.empty();
    }
    return Optional.of(
        "--web-socket-url "
            + PrintableUrl.of(url)
            + " is unencrypted (ws://) to "
            + url.getHost()
            + ", which is not this machine: the API key and every task's secrets would cross the"
            + " network in clear; use wss://, or, if the path is protected otherwise (a proxy on"
            + " this machine, a tunnel), pass --allow-insecure-websocket (allow_insecure_websocket:"
            + " true in the config file)");
  }

  /**
   * {@code localhost}, {@code 127.0.0.0/8} or {@code ::1}, decided from the text alone: a name is
   * never looked up, since what it resolves to may change after the check.
   */
  static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    String name = host.toLowerCase(Locale.ROOT);
    if (name.startsWith("[") && name.endsWith("]")) {
      return isIpv6Loopback(name.substring(1, name.length() - 1));
    }
    return name.equals("localhost") || IPV4_LOOPBACK.matcher(name).matches();
  }

  /** {@code ::1} in any of its spellings (leading zeros, zero groups written out or elided). */
  private static boolean isIpv6Loopback(String address) {
    String[] halves = address.split("::", -1);
    if (halves.length > 2) {
      return false;
    }
    Optional<List<Integer>> head = groups(halves[0]);
    Optional<List<Integer>> tail = halves.length == 2 ? groups(halves[1]) : Optional.of(List.of());
    if (head.isEmpty() || tail.isEmpty()) {
      return false;
    }
    int elided = 8 - head.get().size() - tail.get().size();
    if (halves.length == 1 ? elided != 0 : elided < 1) {
      return false;
    }
    List<Integer> all = new ArrayList<>(head.get());
    all.addAll(Collections.nCopies(elided, 0));
    all.addAll(tail.get());
    return all.subList(0, 7).stream().allMatch(group -> group == 0) && all.get(7) == 1;
  }

  /** The 16-bit groups of {@code part} of an IPv6 address; empty when one is not hex. */
  private static Optional<List<Integer>> groups(String part) {
    if (part.isEmpty()) {
      return Optional.of(List.of());
    }
    List<Integer> groups = new ArrayList<>();
    for (String group : part.split(":", -1)) {
      if (!HEX_GROUP.matcher(group).matches()) {
        return Optional.empty();
      }
      groups.add(Integer.parseInt(group, 16));
    }
    return Optional.of(groups);
  }
}
