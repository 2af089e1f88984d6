package dev.ozworker.observe;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import dev.ozworker.config.LogFormat;
import dev.ozworker.config.LogLevel;
import org.slf4j.LoggerFactory;

/**
 * The worker's logging, set up in code: one line per event on standard error, as text (with the
 * task id of the MDC as {@code task=...}) or as one JSON object per line for log shippers (the task
 * id under {@code mdc}). Logback finds this class through {@link java.util.ServiceLoader}, so the
 * default holds before any flag is read; {@link #apply} switches to what the flags ask.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {
  static final String PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0}"
          + "%replace( task=%X{task}){' task=$', ''} - %msg%n";

  // Chatty libraries: their INFO lines say nothing an operator of the worker needs.
  private static final String[] QUIET = {
    "io.javaoperatorsdk", "io.fabric8", "com.github.dockerjava"
  };

  private static final String UNSTABLE_VERSION_WARNING =
      "io.fabric8.kubernetes.client.dsl.internal.VersionUsageUtils";

  /** Called by logback when it starts: text at INFO. */
  @Override
  public ExecutionStatus configure(LoggerContext context) {
    configure(context, LogLevel.info, LogFormat.text);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Switches the running logging to {@code level} and {@code format}. */
  public static void apply(LogLevel level, LogFormat format) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      configure(context, level, format);
    }
  }

  private static void configure(LoggerContext context, LogLevel level, LogFormat format) {
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("console");
    console.setTarget("System.err");
    console.setEncoder(encoder(context, format));
    console.start();
    root.addAppender(console);
    Level chosen = Level.toLevel(level.name());
    root.setLevel(chosen);
    // Libraries say at INFO what is DEBUG to us; --log-level debug shows them all.
    for (String name : QUIET) {
      context.getLogger(name).setLevel(chosen.isGreaterOrEqual(Level.WARN) ? chosen : Level.WARN);
    }
    if (level == LogLevel.debug) {
      for (String name : QUIET) {
        context.getLogger(name).setLevel(Level.INFO);
      }
    }
    // AgentTask is v1alpha1 on purpose; fabric8 would warn about that on every start.
    context.getLogger(UNSTABLE_VERSION_WARNING).setLevel(Level.ERROR);
  }

  private static Encoder<ILoggingEvent> encoder(LoggerContext context, LogFormat format) {
    if (format == LogFormat.json) {
      JsonEncoder json = new JsonEncoder();
      json.setContext(context);
      // The formatted line only: raw arguments could repeat what the message already masks.
      json.setWithMessage(false);
      json.setWithArguments(false);
      json.setWithFormattedMessage(true);
      json.setWithSequenceNumber(false);
      json.setWithContext(false);
      json.setWithNanoseconds(false);
      json.start();
      return json;
    }
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(context);
    text.setPattern(PATTERN);
    text.start();
    return text;
  }
}
