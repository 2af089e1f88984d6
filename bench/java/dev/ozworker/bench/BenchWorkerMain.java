package dev.ozworker.bench;

import dev.ozworker.controller.MockApi;
import java.nio.file.Path;

/**
 * Our worker as its own process, for the resource and start-up figures: the embedded (mock) API
 * server in process, as {@code run} without a cluster has it, the Direct backend running {@code
 * OZ_PATH}, and the link to {@code WS_URL}. Runs until its stdin closes.
 *
 * <p>Usage: {@code BenchWorkerMain WS_URL WORKER_ID DIR OZ_PATH}
 */
public final class BenchWorkerMain {
  private BenchWorkerMain() {}

  public static void main(String[] args) throws Exception {
    try (MockApi api = MockApi.start();
        OurWorker worker =
            OurWorker.direct(
                api.client(),
                false,
                java.net.URI.create(args[0]),
                args[1],
                Path.of(args[3]),
                Path.of(args[2]))) {
      // The parent ends the worker by closing our stdin: no signal handling needed here.
      while (System.in.read() >= 0) {
        // keep reading until end of input
      }
    }
    System.exit(0);
  }
}
