package dev.ozworker.demo;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A small ustar archive built in memory, the input of {@code docker import}. Every entry belongs to
 * root and is dated 1970, so the same content always gives the same bytes: the demo compares their
 * digest with the one on an image it built earlier.
 */
final class Tarball {
  private static final int BLOCK = 512;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  Tarball directory(String name, int mode) {
    header(name.endsWith("/") ? name : name + "/", mode, 0, '5', "");
    return this;
  }

  Tarball file(String name, int mode, byte[] content) {
    header(name, mode, content.length, '0', "");
    bytes.writeBytes(content);
    pad(content.length);
    return this;
  }

  Tarball symlink(String name, String target) {
    header(name, 0777, 0, '2', target);
    return this;
  }

  /** The archive, ended by its two empty blocks. */
  byte[] finish() {
    bytes.writeBytes(new byte[2 * BLOCK]);
    return bytes.toByteArray();
  }

  private void header(String name, int mode, long size, char type, String link) {
    byte[] header = new byte[BLOCK];
    put(header, 0, 100, name);
    put(header, 100, 8, octal(mode, 7));
    put(header, 108, 8, octal(0, 7));
    put(header, 116, 8, octal(0, 7));
    put(header, 124, 12, octal(size, 11));
    put(header, 136, 12, octal(0, 11));
    header[156] = (byte) type;
    put(header, 157, 100, link);
    put(header, 257, 6, "ustar\0");
    put(header, 263, 2, "00");
    // the checksum is taken with its own field read as spaces
    put(header, 148, 8, "        ");
    long sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    put(header, 148, 8, octal(sum, 6) + "\0 ");
    bytes.writeBytes(header);
  }

  private void pad(long size) {
    int rest = (int) (size % BLOCK);
    if (rest != 0) {
      bytes.writeBytes(new byte[BLOCK - rest]);
    }
  }

  private static String octal(long value, int digits) {
    String text = Long.toOctalString(value);
    if (text.length() > digits) {
      throw new IllegalArgumentException(value + " does not fit a tar header field");
    }
    return "0".repeat(digits - text.length()) + text;
  }

  private static void put(byte[] header, int offset, int length, String text) {
    byte[] value = text.getBytes(StandardCharsets.US_ASCII);
    if (value.length > length) {
      throw new IllegalArgumentException("\"" + text + "\" does not fit a tar header field");
    }
    System.arraycopy(value, 0, header, offset, value.length);
  }
}
