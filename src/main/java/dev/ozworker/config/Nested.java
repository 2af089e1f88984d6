package dev.ozworker.config;

import java.lang.reflect.RecordComponent;

/** A block of keys inside another, such as a resource's requests and limits. */
record Nested(String path, Key key, RecordComponent component, Block block) implements Member {}
