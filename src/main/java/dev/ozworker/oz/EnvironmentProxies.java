package dev.ozworker.oz;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The proxy for the link to Oz, from {@code HTTPS_PROXY} (for {@code wss}), {@code HTTP_PROXY} (for
 * {@code ws}) and {@code NO_PROXY}, read as the reference worker reads them (Go's {@code
 * httpproxy}): upper case before lower case; a proxy without a scheme is {@code http://}; never a
 * proxy for {@code localhost} or a loopback address; {@code NO_PROXY} holds {@code *}, addresses,
 * CIDR ranges and domains ({@code example.com} also covers its subdomains, {@code .example.com}
 * only them), each with an optional port; {@code HTTP_PROXY} is ignored in a CGI environment
 * ({@code REQUEST_METHOD} set). Only HTTP proxies are used (CONNECT); a proxy's credentials are not
 * sent.
 */
public final class EnvironmentProxies extends ProxySelector {
  private static final Pattern CIDR = Pattern.compile("(.+)/(\\d{1,3})");

  private final Optional<InetSocketAddress> http;
  private final Optional<InetSocketAddress> https;
  private final List<String> noProxy;

  private EnvironmentProxies(
      Optional<InetSocketAddress> http, Optional<InetSocketAddress> https, List<String> noProxy) {
    this.http = http;
    this.https = https;
    this.noProxy = noProxy;
  }

  /** The proxies {@code env} names. */
  public static EnvironmentProxies of(Map<String, String> env) {
    boolean cgi = !env.getOrDefault("REQUEST_METHOD", "").isEmpty();
    List<String> noProxy = new ArrayList<>();
    for (String entry : either(env, "NO_PROXY").split(",", -1)) {
      String trimmed = entry.strip().toLowerCase(Locale.ROOT);
      if (!trimmed.isEmpty()) {
        noProxy.add(trimmed);
      }
    }
    return new EnvironmentProxies(
        cgi ? Optional.empty() : address(either(env, "HTTP_PROXY")),
        address(either(env, "HTTPS_PROXY")),
        List.copyOf(noProxy));
  }

  private static String either(Map<String, String> env, String name) {
    String upper = env.getOrDefault(name, "");
    return upper.isEmpty() ? env.getOrDefault(name.toLowerCase(Locale.ROOT), "") : upper;
  }

  private static Optional<InetSocketAddress> address(String text) {
    if (text.isEmpty()) {
      return Optional.empty();
    }
    URI uri = URI.create(text.contains("://") ? text : "http://" + text);
    if (uri.getHost() == null || !"http".equalsIgnoreCase(uri.getScheme())) {
      return Optional.empty();
    }
    return Optional.of(
        InetSocketAddress.createUnresolved(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort()));
  }

  @Override
  public List<Proxy> select(URI uri) {
    boolean secure =
        switch (uri.getScheme().toLowerCase(Locale.ROOT)) {
          case "https", "wss" -> true;
          default -> false;
        };
    Optional<InetSocketAddress> proxy = secure ? https : http;
    int port = uri.getPort() < 0 ? (secure ? 443 : 80) : uri.getPort();
    return proxy.isPresent() && uses(uri.getHost(), port)
        ? List.of(new Proxy(Proxy.Type.HTTP, proxy.get()))
        : List.of(Proxy.NO_PROXY);
  }

  /** Whether a connection to {@code host}:{@code port} goes through the proxy. */
  boolean uses(String host, int port) {
    String name = host.toLowerCase(Locale.ROOT);
    if (name.startsWith("[") && name.endsWith("]")) {
      name = name.substring(1, name.length() - 1);
    }
    Optional<InetAddress> ip = literal(name);
    if (name.equals("localhost") || ip.map(InetAddress::isLoopbackAddress).orElse(false)) {
      return false;
    }
    for (String entry : noProxy) {
      if (entry.equals("*") || excludes(entry, name, ip, Integer.toString(port))) {
        return false;
      }
    }
    return true;
  }

  private static boolean excludes(
      String entry, String host, Optional<InetAddress> ip, String port) {
    var cidr = CIDR.matcher(entry);
    if (cidr.matches() && literal(cidr.group(1)).isPresent()) {
      return ip.isPresent() && inRange(ip.get(), literal(cidr.group(1)).get(), cidr.group(2));
    }
    String entryHost = entry;
    String entryPort = "";
    int colon = entry.lastIndexOf(':');
    if (entry.startsWith("[") && entry.contains("]:")) {
      entryHost = entry.substring(1, entry.indexOf("]:"));
      entryPort = entry.substring(entry.indexOf("]:") + 2);
    } else if (colon > 0 && entry.indexOf(':') == colon) {
      entryHost = entry.substring(0, colon);
      entryPort = entry.substring(colon + 1);
    }
    boolean portMatches = entryPort.isEmpty() || entryPort.equals(port);
    Optional<InetAddress> entryIp = literal(entryHost);
    if (entryIp.isPresent()) {
      return ip.isPresent() && ip.get().equals(entryIp.get()) && portMatches;
    }
    if (entryHost.isEmpty() || ip.isPresent()) {
      return false;
    }
    if (entryHost.startsWith("*.")) {
      entryHost = entryHost.substring(1);
    }
    boolean alsoItself = !entryHost.startsWith(".");
    String suffix = alsoItself ? "." + entryHost : entryHost;
    return (host.endsWith(suffix) || (alsoItself && host.equals(entryHost))) && portMatches;
  }

  private static boolean inRange(InetAddress ip, InetAddress network, String bits) {
    byte[] a = ip.getAddress();
    byte[] b = network.getAddress();
    int prefix = Integer.parseInt(bits);
    if (a.length != b.length || prefix > a.length * 8) {
      return false;
    }
    for (int i = 0; i < prefix; i++) {
      int mask = 0x80 >> (i % 8);
      if ((a[i / 8] & mask) != (b[i / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  /** The address {@code text} spells as an IP literal; never a DNS lookup. */
  private static Optional<InetAddress> literal(String text) {
    boolean v4 = text.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    boolean v6 = text.contains(":") && text.matches("[0-9a-f:.]+");
    if (!v4 && !v6) {
      return Optional.empty();
    }
    try {
      return Optional.of(InetAddress.getByName(text));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  @Override
  public void connectFailed(URI uri, SocketAddress proxy, IOException failure) {}
}
