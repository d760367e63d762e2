/*
 * echo_responder: the floor of the agent benchmarks (scripts/bench-agents.sh).
 *
 * A plain NATS responder written with the C client (Debian libnats-dev): it joins queue group
 * "oaas" on one subject (wildcards allowed), and answers every message by publishing its
 * payload, unchanged, to the message's reply subject. No decoding, no work: what a request-reply
 * round trip through nats-server costs on this machine, to set our agent beside.
 *
 *   echo_responder [--buffered] nats://127.0.0.1:4222 'oprc.math~2ECalculator.0.objects.*.invokes.add'
 *
 * Prints READY once the server has confirmed the subscription (a flush after SUB), so a
 * request sent after READY reaches it. SIGTERM or SIGINT drains the subscription (messages
 * already received are still answered), closes the connection and exits 0; at exit it prints
 * `ECHOED <n>` (replies published).
 *
 * Replies are sent at once (natsOptions_SetSendAsap): by default libnats leaves publishes to
 * its flusher thread, which waits about a millisecond before it writes. Measured on the
 * benchmark machine with one caller: about 1.3 ms per round trip buffered against about
 * 0.2 ms sent at once: a floor our agent would beat for the wrong reason. `--buffered` keeps
 * the library's default, to compare.
 *
 * Build: cc -O2 -o echo_responder echo_responder.c -lnats   (headers in /usr/include/nats/)
 */
#include <nats/nats.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replies published; only the subscription's delivery thread writes it while it runs. */
static volatile int64_t echoed = 0;
static volatile int64_t unanswerable = 0;

static void on_message(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    (void)closure;
    const char *reply = natsMsg_GetReply(msg);
    if (reply != NULL && reply[0] != '\0') {
        natsStatus s = natsConnection_Publish(nc, reply, natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
        if (s == NATS_OK) {
            echoed++;
        } else {
            unanswerable++;
        }
    } else {
        unanswerable++; /* a publish without a reply subject: nobody to answer */
    }
    natsMsg_Destroy(msg);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    /* Slow-consumer and similar asynchronous errors: worth knowing when a floor misbehaves. */
    fprintf(stderr, "echo_responder: asynchronous error: %s\n", natsStatus_GetText(err));
}

static int fail(const char *what, natsStatus s)
{
    fprintf(stderr, "echo_responder: %s: %s\n", what, natsStatus_GetText(s));
    nats_PrintLastErrorStack(stderr);
    return 1;
}

int main(int argc, char **argv)
{
    int buffered = 0;
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "--buffered") == 0) {
        buffered = 1;
        first = 2;
    }
    if (argc - first != 2) {
        fprintf(stderr, "usage: echo_responder [--buffered] NATS_URL SUBJECT\n");
        return 2;
    }
    const char *url = argv[first];
    const char *subject = argv[first + 1];

    /* Block the stop signals before libnats starts its threads, so that they inherit the mask
     * and the signal is taken by sigwait below, never by a library thread. */
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stops, NULL);

    natsOptions *opts = NULL;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK) s = natsOptions_SetURL(opts, url);
    if (s == NATS_OK) s = natsOptions_SetName(opts, "echo_responder");
    if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, buffered ? false : true);
    if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, on_error, NULL);
    /* A benchmark floor should not outlive its server by reconnecting for minutes. */
    if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
    if (s != NATS_OK) return fail("options", s);

    s = natsConnection_Connect(&nc, opts);
    if (s != NATS_OK) return fail("connect", s);
    s = natsConnection_QueueSubscribe(&sub, nc, subject, "oaas", on_message, NULL);
    if (s != NATS_OK) return fail("subscribe", s);
    /* The default pending limits (65536 messages) are far above 64 outstanding callers; they
     * are left alone so that the floor is the library as people use it. */
    s = natsConnection_FlushTimeout(nc, 5000);
    if (s != NATS_OK) return fail("flush after subscribe", s);
    printf("READY\n");
    fflush(stdout);

    int number = 0;
    sigwait(&stops, &number);

    /* Drain: unsubscribe, answer what was already delivered, then close. */
    s = natsSubscription_Drain(sub);
    if (s == NATS_OK) s = natsSubscription_WaitForDrainCompletion(sub, 5000);
    if (s != NATS_OK) fprintf(stderr, "echo_responder: drain: %s\n", natsStatus_GetText(s));
    natsConnection_FlushTimeout(nc, 2000);
    printf("ECHOED %lld\n", (long long)echoed);
    if (unanswerable > 0) printf("UNANSWERED %lld\n", (long long)unanswerable);
    fflush(stdout);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(opts);
    nats_Close();
    return 0;
}
