package dev.ozworker.config;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The backend's block: one of the blocks of {@link BackendKind}, chosen by {@code --backend} or by
 * the block the file has, else by the declared default.
 */
record BackendChoice(
    String path,
    Key key,
    RecordComponent component,
    Map<BackendKind, Block> blocks,
    BackendKind byDefault)
    implements Member {

  static BackendChoice of(RecordComponent component, Key key, String path) {
    Map<BackendKind, Block> blocks = new EnumMap<>(BackendKind.class);
    Arrays.stream(BackendKind.values())
        .forEach(kind -> blocks.put(kind, Block.of(kind.settings(), path + "." + kind)));
    BackendKind byDefault =
        BackendKind.fromConfigName(key.byDefault())
            .orElseThrow(
                () ->
                    new IllegalStateException(path + " has no default backend: declare byDefault"));
    return new BackendChoice(path, key, component, Collections.unmodifiableMap(blocks), byDefault);
  }

  /** The flag that chooses the backend. */
  String flag() {
    return key().flag()[key().flag().length - 1];
  }

  Block block(BackendKind kind) {
    return blocks.get(kind);
  }

  ValueType<BackendKind> kinds() {
    return Scalars.BACKEND_KIND;
  }
}
