package dev.ozworker.fault;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One backend's part of the kill campaign: its worker config, the assignment that lets a task be
 * held at a kill point, how to see the point reached, what to release after the restart, and what
 * it could leave behind.
 */
interface KillStage {

  /** The {@code backend:} block of the worker's YAML, indented as a top-level key. */
  String backendYaml();

  /** Extra environment of the worker process (say DOCKER_HOST). */
  default java.util.Map<String, String> workerEnv() {
    return java.util.Map.of();
  }

  /** The assignment of a task to be killed at {@code point}. */
  ObjectNode assignment(String taskId, KillPoint point) throws Exception;

  /** Waits until the task has reached {@code point}, as far as the backend shows it. */
  void awaitPoint(String taskId, KillPoint point) throws Exception;

  /** Lets the task go on once a new worker runs (opens its gates). */
  void release(String taskId) throws Exception;

  /** Things left behind once everything ended: each named, for the report. */
  List<String> leftovers() throws Exception;
}
