package dev.ozworker.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A configuration record and the keys its components declare, in their order: the top level of the
 * file, a backend's block, or a nested block.
 *
 * @param path where the block sits in the file; empty for the top level
 */
record Block(String path, Class<?> type, List<Member> members) {

  /** The block that {@code type}, a record whose every component is a {@link Key}, declares. */
  static Block of(Class<?> type, String path) {
    if (!type.isRecord()) {
      throw new IllegalStateException(type.getName() + " is no record: a block is declared by one");
    }
    return new Block(
        path,
        type,
        Arrays.stream(type.getRecordComponents())
            .map(component -> Member.of(component, path))
            .toList());
  }

  /** Every key with a value in this block and below, in every backend's block. */
  Stream<Setting> settings() {
    return members.stream()
        .flatMap(
            member ->
                switch (member) {
                  case Setting setting -> Stream.of(setting);
                  case Nested nested -> nested.block().settings();
                  case BackendChoice choice ->
                      choice.blocks().values().stream().flatMap(Block::settings);
                });
  }

  /** The record holding {@code values}, one per member in order. */
  Object construct(List<Object> values) {
    Class<?>[] types =
        Arrays.stream(type.getRecordComponents())
            .map(RecordComponent::getType)
            .toArray(Class<?>[]::new);
    try {
      return type.getDeclaredConstructor(types).newInstance(values.toArray());
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw new IllegalStateException(e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(type.getName() + " cannot be constructed", e);
    }
  }

  /** The value of {@code member}'s component in {@code record}, a record of this block. */
  static Object valueOf(Member member, Object record) {
    try {
      return member.component().getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(member.path() + " cannot be read", e);
    }
  }
}
