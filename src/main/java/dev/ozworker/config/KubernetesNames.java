package dev.ozworker.config;

import java.util.regex.Pattern;

/** Kubernetes' rules for the names and label values the worker writes, kept in one place. */
public final class KubernetesNames {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

  private KubernetesNames() {}

  /** An RFC 1123 label: a namespace name, or a resource name that also fits everywhere else. */
  public static boolean isDnsLabel(String text) {
    return DNS_LABEL.matcher(text).matches();
  }

  /** A non-empty label value. */
  public static boolean isLabelValue(String text) {
    return LABEL_VALUE.matcher(text).matches();
  }
}
