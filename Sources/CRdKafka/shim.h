#ifndef CRDKAFKA_SHIM_H
#define CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Queues one message (copied) to a partition with the producer's timestamp set to `timestamp_ms`, or
 * left to librdkafka (the time of the call) when it is 0. rd_kafka_producev is variadic, which Swift
 * cannot call. */
static inline rd_kafka_resp_err_t lagwatch_produce(
    rd_kafka_t *rk, const char *topic, int32_t partition, const void *payload, size_t size, int64_t timestamp_ms) {
    return rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE((void *)payload, size), RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_END);
}
#endif
