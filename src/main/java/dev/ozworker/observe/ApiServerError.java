package dev.ozworker.observe;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the API server said when it refused a request, for logs and for the messages sent to Oz: its
 * HTTP code, its reason and message, and the field each cause names. An HTTP code alone ("422")
 * tells an operator nothing of what to fix. When no answer came (refused connection, timeout),
 * {@code code} is 0 and {@code message} says what went wrong on the way.
 *
 * @param code the HTTP status, or 0 when the server did not answer
 * @param reason the server's machine-readable reason, e.g. {@code Invalid}, {@code Forbidden}
 * @param message the server's message, or the error on the way
 * @param causes each cause as {@code field: message}
 */
public record ApiServerError(int code, String reason, String message, List<String> causes) {

  /** Causes are listed up to this many; a task can have hundreds of invalid fields. */
  static final int MAX_CAUSES = 5;

  /** Longest message kept: a server quotes the refused value, which may be a megabyte prompt. */
  static final int MAX_MESSAGE_CHARS = 600;

  public ApiServerError {
    causes = List.copyOf(causes);
  }

  /** Reads the server's answer out of the client's exception. */
  public static ApiServerError of(KubernetesClientException e) {
    Status status = e.getStatus();
    int code = Math.max(e.getCode(), 0);
    if (status == null || (status.getMessage() == null && status.getReason() == null)) {
      return new ApiServerError(code, "", onTheWay(e), List.of());
    }
    List<String> causes = new ArrayList<>();
    if (status.getDetails() != null && status.getDetails().getCauses() != null) {
      for (StatusCause cause : status.getDetails().getCauses()) {
        causes.add(
            Optional.ofNullable(cause.getField()).map(field -> field + ": ").orElse("")
                + Optional.ofNullable(cause.getMessage()).orElse(cause.getReason()));
      }
    }
    return new ApiServerError(
        code > 0 ? code : Optional.ofNullable(status.getCode()).orElse(0),
        Optional.ofNullable(status.getReason()).orElse(""),
        Optional.ofNullable(status.getMessage()).orElse(""),
        causes);
  }

  /** Whether the server answered at all. */
  public boolean answered() {
    return code > 0;
  }

  /**
   * One line: {@code HTTP 422 Invalid: <message> (causes: <field>: <message>; ...)}, or {@code no
   * answer from the API server: <error>}. Long messages and long cause lists are cut.
   */
  public String describe() {
    if (!answered()) {
      return "no answer from the API server: " + cut(message);
    }
    StringBuilder text = new StringBuilder("HTTP ").append(code);
    if (!reason.isEmpty()) {
      text.append(' ').append(reason);
    }
    if (!message.isEmpty()) {
      text.append(": ").append(cut(message));
    }
    // The message usually repeats the causes; they are listed when it does not.
    List<String> unsaid = causes.stream().filter(cause -> !message.contains(cause)).toList();
    if (!unsaid.isEmpty()) {
      text.append(" (causes: ")
          .append(
              String.join(
                  "; ", unsaid.stream().limit(MAX_CAUSES).map(ApiServerError::cut).toList()));
      if (unsaid.size() > MAX_CAUSES) {
        text.append("; and ").append(unsaid.size() - MAX_CAUSES).append(" more");
      }
      text.append(')');
    }
    return text.toString();
  }

  @Override
  public String toString() {
    return describe();
  }

  private static String onTheWay(KubernetesClientException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root == e
        ? Optional.ofNullable(message).orElse("unknown error")
        : root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private static String cut(String text) {
    return text.length() <= MAX_MESSAGE_CHARS
        ? text
        : text.substring(0, MAX_MESSAGE_CHARS) + "... (" + text.length() + " chars)";
  }
}
