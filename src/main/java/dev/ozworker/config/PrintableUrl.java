package dev.ozworker.config;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * URLs as they may be logged, printed and put in messages: without their user information ({@code
 * user:password@}), which is a credential wherever someone writes one. Every URL the worker shows
 * passes through here.
 */
public final class PrintableUrl {
  /**
   * From {@code ://} to the last {@code @} before the query, fragment or the end of the word. A
   * password that holds an unescaped {@code /} still goes; a path holding an {@code @} is shown
   * shortened, which is the safe side to err on.
   */
  private static final Pattern USER_INFO = Pattern.compile("://[^\\s\"'?#]*@");

  private PrintableUrl() {}

  /** {@code url} without its user information. */
  public static String of(URI url) {
    return strip(url.toString());
  }

  /** {@code text} with the user information of every URL in it removed, e.g. an error message. */
  public static String strip(String text) {
    return text == null ? null : USER_INFO.matcher(text).replaceAll("://");
  }
}
