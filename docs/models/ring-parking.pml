/*
 * The broadcast ring's parking protocol (Sources/Fanout), as a Promela model for the spin model checker.
 * Run by scripts/ring-model; docs/architecture.md "Waiting" says what it shows.
 *
 * What is modelled: one writer and READERS readers (gating or not), the published cursor, each reader's
 * cursor, its parked flag and eventfd counter, the parked-reader count, the writer's parked mark and
 * eventfd, close(), and a gating reader that detaches (its handle ends) half way. What is not: slot
 * contents, the spin rounds (a spin is a park attempt that gives up, already a path here) and the
 * 100 ms safety timeout: every sleep below waits for its eventfd and nothing else, so a lost wakeup
 * is a state where every process sleeps and spin reports it as an invalid end state.
 *
 * Interleavings are sequentially consistent. The Swift code gets that where it matters from its
 * Dekker pairs (store; seq-cst fence; load on both sides) and from the release sequence on the count
 * (all its updates are read-modify-writes); relaxed loads that carry no guarantee (the gating reader's
 * writer-parked hint in poll) are modelled as steps that may be skipped.
 *
 * -DWAKER_TAKES_COUNT models the protocol before the fix: whoever cleared a parked flag also took one
 * off the count, so the writer could take a flag (and a count) from a reader that had set its flag
 * but not yet counted itself; the count then reads 0 while another reader sleeps, the writer's next
 * publish skips the wakeup scan, and the writer ends up parked on a full ring behind that sleeper.
 */

#ifndef READERS
#define READERS 2
#endif
#ifndef TICKS
#define TICKS 4
#endif
#ifndef CAPACITY
#define CAPACITY 1
#endif
/* Reader 1's kind: 1 gating, 0 non-gating. Reader 0 is always gating; any further reader is non-gating. */
#ifndef SECOND_GATING
#define SECOND_GATING 1
#endif
/* 1: reader 0 may end its handle (detach) at any point. */
#ifndef DETACH
#define DETACH 0
#endif

byte published = 0;          /* the published cursor */
short parkedCount = 0;       /* parkedReaders */
bit parkedFlag[READERS];
byte readerEventfd[READERS];
bit gating[READERS];
bit attached[READERS];
byte cursor[READERS];
bit writerParked = 0;
byte writerEventfd = 0;
bit closed = 0;

/* BroadcastRing.wakeWriter: whoever turns the mark off signals. */
inline wakeWriter(took) {
    atomic { if :: writerParked == 1 -> writerParked = 0; took = 1 :: else -> took = 0 fi }
    if :: took -> writerEventfd++ :: else -> skip fi
}

/* RingReader.unpark: withdraw the flag, and the count. */
inline unpark(r, took) {
    atomic { if :: parkedFlag[r] == 1 -> parkedFlag[r] = 0; took = 1 :: else -> took = 0 fi }
#ifdef WAKER_TAKES_COUNT
    if :: took -> parkedCount-- :: else -> skip fi
#else
    parkedCount--            /* the count is the reader's own: +1 in prepareToPark, -1 here, always */
#endif
}

/* RingWriter.gatingLimit, as the slowest attached gating cursor (255: none). */
inline slowestGating(slowest, r) {
    slowest = 255;
    for (r : 0 .. READERS - 1) {
        if :: gating[r] && attached[r] && cursor[r] < slowest -> slowest = cursor[r] :: else -> skip fi
    }
}

proctype Reader(byte r) {
    bit took;
    do
    :: DETACH && r == 0 ->
        /* RingReader.deinit: detach; fence; wake a parked writer. */
        attached[r] = 0;
        if :: writerParked -> wakeWriter(took) :: else -> skip fi;
        break
    :: cursor[r] < published ->
        if
        :: !gating[r] && published - cursor[r] > CAPACITY -> cursor[r] = published   /* lapped */
        :: else -> cursor[r]++
        fi;
        /* The gating reader's relaxed hint after its cursor store: it may read a stale 0. */
        if :: gating[r] -> if :: wakeWriter(took) :: skip fi :: else -> skip fi
    :: cursor[r] == published && closed -> break
    :: cursor[r] == published && !closed ->
        /* prepareToPark: flag, count, fence, wake a parked writer, re-check. */
        parkedFlag[r] = 1;
        parkedCount++;
        if :: gating[r] && writerParked -> wakeWriter(took) :: else -> skip fi;
        if
        :: published != cursor[r] || closed -> unpark(r, took)
        :: else ->
            readerEventfd[r] > 0;     /* sleep until signalled */
            readerEventfd[r] = 0;     /* drain */
            unpark(r, took)           /* finishPark */
        fi
    od
}

proctype Writer() {
    byte next = 0;
    byte r, slowest;
    bit took;
    do
    :: next == TICKS -> break
    :: next < TICKS ->
        slowestGating(slowest, r);
        if
        :: slowest == 255 || next < slowest + CAPACITY ->
            /* write and publish (one tick per batch); then the Dekker load of the count and the scan */
            next++;
            published = next;
            if
            :: parkedCount != 0 ->
                for (r : 0 .. READERS - 1) {
                    if
                    :: parkedFlag[r] == 1 ->
                        atomic { if :: parkedFlag[r] == 1 -> parkedFlag[r] = 0; took = 1 :: else -> took = 0 fi };
                        if
                        :: took ->
#ifdef WAKER_TAKES_COUNT
                            parkedCount--;
#endif
                            readerEventfd[r]++
                        :: else -> skip
                        fi
                    :: else -> skip
                    fi
                }
            :: else -> skip
            fi
        :: else ->
            /* parkUntilRoom: mark, fence, re-check, sleep */
            writerParked = 1;
            slowestGating(slowest, r);
            if
            :: slowest == 255 || next < slowest + CAPACITY -> writerParked = 0
            :: else -> writerEventfd > 0; writerEventfd = 0; writerParked = 0
            fi
        fi
    od;
    /* close(): mark, fence, signal everyone */
    closed = 1;
    for (r : 0 .. READERS - 1) { readerEventfd[r]++ }
    writerEventfd++
}

init {
    byte i;
    for (i : 0 .. READERS - 1) { attached[i] = 1 }
    gating[0] = 1;
    gating[1] = SECOND_GATING;
    atomic {
        run Writer();
        for (i : 0 .. READERS - 1) { run Reader(i) }
    }
}
