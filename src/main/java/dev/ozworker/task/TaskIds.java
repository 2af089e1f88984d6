package dev.ozworker.task;

/**
 * The rule for task ids the worker will use. An id names a workspace directory and follows {@code
 * --task-id}, so it must be one safe path component that cannot read as a flag.
 */
public final class TaskIds {
  /** Longest id accepted: the longest file name most file systems allow. */
  public static final int MAX_LENGTH = 255;

  private TaskIds() {}

  /** Whether {@code id} may be used; see {@link #problem(String)} for why not. */
  public static boolean isSafe(String id) {
    return problem(id) == null;
  }

  /** Why {@code id} cannot be used, or {@code null} when it can. */
  public static String problem(String id) {
    if (id == null || id.isEmpty()) {
      return "is empty";
    }
    if (id.equals(".") || id.equals("..")) {
      return "is a relative directory name";
    }
    if (id.length() > MAX_LENGTH) {
      return "is longer than " + MAX_LENGTH + " characters";
    }
    if (id.startsWith("-")) {
      return "starts with '-' and would read as a flag";
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c == '/' || c == '\\') {
        return "contains a path separator";
      }
      if (Character.isISOControl(c) || Character.isWhitespace(c)) {
        return "contains whitespace or a control character";
      }
    }
    return null;
  }
}
