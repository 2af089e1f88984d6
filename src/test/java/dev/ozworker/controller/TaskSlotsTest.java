package dev.ozworker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import org.junit.jupiter.api.Test;

class TaskSlotsTest {
  static final ResourceID A = new ResourceID("a", "ns");
  static final ResourceID B = new ResourceID("b", "ns");
  static final ResourceID C = new ResourceID("c", "ns");

  @Test
  void grantsUpToTheLimitAndAgainToAHolder() {
    TaskSlots slots = new TaskSlots(2);

    assertThat(slots.tryAcquire(A)).isTrue();
    assertThat(slots.tryAcquire(B)).isTrue();
    assertThat(slots.tryAcquire(C)).isFalse();
    assertThat(slots.tryAcquire(A)).as("already held").isTrue();
    assertThat(slots.inUse()).isEqualTo(2);
    assertThat(slots.hasFree()).isFalse();
  }

  @Test
  void releasingWakesTheWaitingOldestFirst() {
    TaskSlots slots = new TaskSlots(1);
    slots.tryAcquire(A);
    slots.await(C);
    slots.await(B);

    assertThat(slots.release(A)).containsExactly(C, B);
    assertThat(slots.tryAcquire(B)).isTrue();
    assertThat(slots.waitingCount()).isEqualTo(1);
  }

  @Test
  void releasingASlotNotHeldWakesNobody() {
    TaskSlots slots = new TaskSlots(1);
    slots.tryAcquire(A);
    slots.await(B);

    assertThat(slots.release(C)).isEmpty();
  }

  @Test
  void aReattachedTaskTakesASlotEvenWhenAllAreTaken() {
    TaskSlots slots = new TaskSlots(1);
    slots.tryAcquire(A);

    slots.acquireAnyway(B);

    assertThat(slots.inUse()).isEqualTo(2);
    slots.release(A);
    assertThat(slots.tryAcquire(C)).as("still full: B holds the only slot").isFalse();
  }

  @Test
  void zeroMeansNoLimit() {
    TaskSlots slots = new TaskSlots(0);

    for (int i = 0; i < 1000; i++) {
      assertThat(slots.tryAcquire(new ResourceID("t" + i, "ns"))).isTrue();
    }
    assertThat(slots.hasFree()).isTrue();
  }
}
