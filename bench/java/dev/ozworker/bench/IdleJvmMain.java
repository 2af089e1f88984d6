package dev.ozworker.bench;

/** The floor of the start-up and memory figures: a JVM that says it is up, then waits for stdin. */
public final class IdleJvmMain {
  private IdleJvmMain() {}

  public static void main(String[] args) throws Exception {
    System.out.println("ready");
    System.out.flush();
    while (System.in.read() >= 0) {
      // until the parent closes our stdin
    }
  }
}
