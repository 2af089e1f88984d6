package dev.ozworker.fault;

/** Whether a task's AgentTask, as the API server has it now, shows that it reached a point. */
@FunctionalInterface
interface ApiProbe {
  boolean reached(String taskId, KillPoint point);
}
