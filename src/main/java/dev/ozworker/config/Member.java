package dev.ozworker.config;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;

/**
 * One component of a configuration record, as {@link Key} declares it: a key with a value, a nested
 * block of keys, or the backend's block.
 */
sealed interface Member permits Setting, Nested, BackendChoice {
  /** The key's path from the top of the file, e.g. {@code backend.docker.volumes}. */
  String path();

  Key key();

  RecordComponent component();

  default String name() {
    return key().value();
  }

  /** The member a record component declares; its path is {@code path}. */
  static Member of(RecordComponent component, String path) {
    Key key = component.getAnnotation(Key.class);
    if (key == null) {
      throw new IllegalStateException(
          component.getDeclaringRecord().getSimpleName()
              + "."
              + component.getName()
              + " has no @Key: every component of a configuration record declares its key");
    }
    String keyPath = path.isEmpty() ? key.value() : path + "." + key.value();
    if (component.getType() == BackendConfig.class) {
      return BackendChoice.of(component, key, keyPath);
    }
    if (isBlock(component.getType())) {
      return new Nested(keyPath, key, component, Block.of(component.getType(), keyPath));
    }
    return Setting.of(component, key, keyPath);
  }

  /** A record with keys is a block; other records, such as {@link ApiKey}, are values. */
  private static boolean isBlock(Class<?> type) {
    return type.isRecord()
        && Arrays.stream(type.getRecordComponents())
            .anyMatch(component -> component.isAnnotationPresent(Key.class));
  }
}
