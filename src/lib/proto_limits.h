/*
 * proto_limits.h: every protocol and resource limit, in one place, with its source.
 */
#ifndef QNG_PROTO_LIMITS_H
#define QNG_PROTO_LIMITS_H

/* D-06: SMTP command line, RFC 5321 4.5.3.1.4 allows 512; we allow more. */
#define SMTP_LINE_MAX 4096
/* D-06: AUTH responses (RFC 4954 4: 12288 octets). */
#define SMTP_AUTH_LINE_MAX 12288
/* D-06: one header field, and the whole header section. */
#define HEADER_FIELD_MAX (64u * 1024u)
#define HEADER_SECTION_MAX (1024u * 1024u)
/* D-07: default message size limit; never unlimited. */
#define DATABYTES_DEFAULT (50u * 1024u * 1024u)
/* D-08: recipients per transaction. */
#define RCPT_MAX 1000
/* D-09: Received/Delivered-To fields that mean a loop. */
#define HOPS_MAX 100
/* RFC 5321 4.5.3.1: path 256, local part 64, domain 255. */
#define ADDR_PATH_MAX 256
#define ADDR_LOCAL_MAX 64
#define ADDR_DOMAIN_MAX 255
/* Queue envelope: recipients per queued message (sendmail -t may exceed D-08). */
#define QUEUE_RCPT_MAX 100000
#define QUEUE_ENVELOPE_MAX (32u * 1024u * 1024u)
/* D-20: deadlines, seconds. */
#define SMTP_CMD_TIMEOUT 300
#define SMTP_DATA_MIN_RATE 500
#define SMTP_DATA_GRACE 30
/* D-21: connection limits. */
#define LISTEN_MAX_CONN 100
#define LISTEN_MAX_PER_IP 20
/* Delivery report text from a spawner to the scheduler. */
#define REPORT_TEXT_MAX 1000
/* D-07: address-space limits.  Daemons stay small; local deliveries run
 * users' own programs (procmail, filters), so they get more room. */
#define PROCESS_AS_LIMIT (256u * 1024u * 1024u)
#define DELIVERY_AS_LIMIT (2048ull * 1024u * 1024u)
/* Control files are small; anything larger is refused. */
#define CONTROL_FILE_MAX (4u * 1024u * 1024u)

#endif
