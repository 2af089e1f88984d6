package dev.ozworker.config;

/** An environment variable the operator configured for every task, its value already resolved. */
public record EnvVar(String name, String value) {}
