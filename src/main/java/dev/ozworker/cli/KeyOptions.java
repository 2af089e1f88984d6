package dev.ozworker.cli;

import dev.ozworker.config.FlagSpec;
import dev.ozworker.config.Flags;
import dev.ozworker.config.Schema;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.TypeConversionException;

/**
 * Gives the command an option for every flag the configuration keys declare ({@link
 * Schema#flags()}), inherited by every subcommand, and reads what was given back as {@link Flags}.
 */
final class KeyOptions implements IModelTransformer {
  @Override
  public CommandSpec transform(CommandSpec spec) {
    Schema.flags().forEach(flag -> spec.addOption(option(flag)));
    return spec;
  }

  private static OptionSpec option(FlagSpec flag) {
    OptionSpec.Builder option =
        OptionSpec.builder(flag.names().toArray(String[]::new))
            .description(flag.description().replace("%", "%%"))
            .scopeType(ScopeType.INHERIT);
    if (flag.isSwitch()) {
      return option.arity("0").type(Boolean.class).build();
    }
    option
        .paramLabel(flag.label())
        .converters(
            text -> {
              flag.usageProblem()
                  .apply(text)
                  .ifPresent(
                      problem -> {
                        throw new TypeConversionException(problem);
                      });
              return text;
            });
    return flag.repeatable()
        ? option.type(List.class).auxiliaryTypes(String.class).build()
        : option.type(String.class).build();
  }

  /** The flags given to the command of {@code spec}, and the config file. */
  static Flags given(CommandSpec spec, Optional<Path> configFile) {
    Map<String, List<String>> given = new LinkedHashMap<>();
    for (FlagSpec flag : Schema.flags()) {
      String name = flag.names().getLast();
      Object value = spec.findOption(name).getValue();
      switch (value) {
        case null -> {}
        case Boolean on when on -> given.put(name, List.of());
        case Boolean off -> {}
        case List<?> texts -> {
          List<String> values =
              texts.stream()
                  .map(String::valueOf)
                  .flatMap(t -> CommaList.split(t).stream())
                  .toList();
          if (!values.isEmpty()) {
            given.put(name, values);
          }
        }
        default -> given.put(name, List.of(value.toString()));
      }
    }
    return new Flags(configFile, given);
  }
}
