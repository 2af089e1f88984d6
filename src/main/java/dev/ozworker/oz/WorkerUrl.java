package dev.ozworker.oz;

import dev.ozworker.config.PrintableUrl;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The URL a worker dials: the configured one with its {@code worker_id} added or replaced. */
record WorkerUrl(URI uri) {

  static WorkerUrl of(URI configured, String workerId) {
    String query = configured.getRawQuery();
    String kept =
        query == null
            ? ""
            : Arrays.stream(query.split("&"))
                .filter(pair -> !pair.isEmpty() && !pair.split("=", 2)[0].equals("worker_id"))
                .collect(Collectors.joining("&"));
    String param = "worker_id=" + URLEncoder.encode(workerId, StandardCharsets.UTF_8);
    String base = withoutQuery(configured.toString());
    int fragment = base.indexOf('#');
    if (fragment >= 0) {
      base = base.substring(0, fragment);
    }
    return new WorkerUrl(URI.create(base + "?" + (kept.isEmpty() ? param : kept + "&" + param)));
  }

  /**
   * For logs: without the query, which holds only the worker id (logged on its own), and without
   * user information, which would be a credential.
   */
  String printable() {
    return withoutQuery(PrintableUrl.of(uri));
  }

  private static String withoutQuery(String url) {
    int cut = url.indexOf('?');
    return cut < 0 ? url : url.substring(0, cut);
  }
}
