package dev.ozworker.config;

/**
 * A value one source gives a key: the flag, the file or an environment variable, named by {@code
 * where} in messages. {@code value} is null when the source clears the key ({@link
 * Key.Blank#NONE}).
 */
public record Given(Object value, String where) {}
