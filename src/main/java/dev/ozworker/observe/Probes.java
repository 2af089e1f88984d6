package dev.ozworker.observe;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * What {@code /healthz} and {@code /readyz} ask: each answers empty when all is well, or what is
 * wrong, which the endpoint returns as its body.
 *
 * @param liveness whether the process and its loops are alive; a restart would help otherwise
 * @param readiness whether the worker can do its work now (API server reachable, caches synced)
 */
public record Probes(Supplier<Optional<String>> liveness, Supplier<Optional<String>> readiness) {}
