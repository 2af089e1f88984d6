package dev.ozworker.config;

import java.util.regex.Pattern;

/**
 * Kubernetes' rules for the names, label keys and values, and quantities the worker writes or is
 * given, kept in one place so that the configuration refuses what the API server would.
 */
public final class KubernetesNames {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

  /**
   * A quantity as resource.Quantity parses it: a number, then a binary suffix ({@code Ki} to {@code
   * Ei}), a decimal one ({@code m}, {@code k} to {@code E}) or an exponent ({@code e3}). No sign:
   * sizes and resources are never negative.
   */
  private static final Pattern QUANTITY =
      Pattern.compile("\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([KMGTPE]i|[mkMGTPE]|[eE][+-]?[0-9]+)?");

  private static final int DNS_SUBDOMAIN_MAX = 253;

  private KubernetesNames() {}

  /** An RFC 1123 label: a namespace name, or a resource name that also fits everywhere else. */
  public static boolean isDnsLabel(String text) {
    return DNS_LABEL.matcher(text).matches();
  }

  /** A non-empty label value. */
  public static boolean isLabelValue(String text) {
    return LABEL_VALUE.matcher(text).matches();
  }

  /**
   * A label or annotation key: a name of at most 63 characters, optionally after a DNS subdomain
   * prefix and {@code /}, such as {@code team} or {@code example.com/team}.
   */
  public static boolean isLabelKey(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      return isLabelValue(text);
    }
    String prefix = text.substring(0, slash);
    return prefix.length() <= DNS_SUBDOMAIN_MAX
        && DNS_SUBDOMAIN.matcher(prefix).matches()
        && isLabelValue(text.substring(slash + 1));
  }

  /** A quantity of a resource or size, such as {@code 100m}, {@code 64Mi} or {@code 10Gi}. */
  public static boolean isQuantity(String text) {
    return QUANTITY.matcher(text).matches();
  }
}
