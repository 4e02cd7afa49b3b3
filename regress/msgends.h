/*
 * msgends.h -- for test_msg.c and fuzz_msg.c: a handler for every
 * message type, and the handler table of each end of each channel, as
 * the daemons have them.  The includer defines on_message() first, which
 * every handler calls.  A new message is added here, and nowhere else
 * in the tests.
 */

#define HANDLER(t)							\
static void								\
on_##t(struct chan *c, const void *data, int fd)			\
{									\
	on_message(c, t, data, fd);					\
}
HANDLER(MSG_PARENT_CONF)
HANDLER(MSG_PARENT_CONF_PKI)
HANDLER(MSG_PARENT_CONF_PROXY)
HANDLER(MSG_PARENT_CONF_END)
HANDLER(MSG_PARENT_WORKER)
HANDLER(MSG_PARENT_LISTEN)
HANDLER(MSG_PARENT_STARTTLS)
HANDLER(MSG_PARENT_SESSION)
HANDLER(MSG_PARENT_SPAWNED)
HANDLER(MSG_PARENT_REFUSED)
HANDLER(MSG_PARENT_PASSWD)
HANDLER(MSG_PARENT_CRED)
HANDLER(MSG_PARENT_ROUTE)
HANDLER(MSG_PARENT_DRAIN)
HANDLER(MSG_PARENT_PENALTY)
HANDLER(MSG_LISTENER_SESSION)
HANDLER(MSG_AUTHPOP_LOGIN)
HANDLER(MSG_AUTHPOP_CLOSED)
HANDLER(MSG_AUTHPOP_STLS)
HANDLER(MSG_AUTHPOP_PENALTY)
HANDLER(MSG_AUTHPOP_READY)
HANDLER(MSG_AUTHPOP_LOOKUP)
HANDLER(MSG_AUTHPOP_ROUTE)
HANDLER(MSG_PARENT_RCPT)
HANDLER(MSG_PARENT_DELIVERED)
HANDLER(MSG_PARENT_DELIVER)
HANDLER(MSG_PARENT_DLVCHECK)
HANDLER(MSG_LMTP_RCPT)
HANDLER(MSG_LMTP_DELIVER)
HANDLER(MSG_DLVRPOP_INTENT)
HANDLER(MSG_DLVRPOP_DONE)
HANDLER(MSG_PARENT_ANSWER)
HANDLER(MSG_PARENT_VERBOSE)
HANDLER(MSG_CONTROL_REQUEST)
#undef HANDLER

/* H(type): a table entry; the includer may use it for tables of its own. */
#define H(t)	{ t, on_##t }

static const struct msg_handler to_listener[] = {
	H(MSG_PARENT_CONF), H(MSG_PARENT_CONF_PKI), H(MSG_PARENT_CONF_PROXY),
	H(MSG_PARENT_CONF_END), H(MSG_PARENT_LISTEN), H(MSG_PARENT_STARTTLS),
	H(MSG_PARENT_DRAIN), H(MSG_PARENT_VERBOSE),
};
static const struct msg_handler to_authpop[] = {
	H(MSG_PARENT_CONF), H(MSG_PARENT_CONF_END), H(MSG_PARENT_SESSION),
	H(MSG_PARENT_SPAWNED), H(MSG_PARENT_REFUSED), H(MSG_PARENT_PASSWD),
	H(MSG_PARENT_DRAIN), H(MSG_PARENT_PENALTY), H(MSG_PARENT_CRED),
	H(MSG_PARENT_ROUTE), H(MSG_PARENT_LISTEN), H(MSG_PARENT_CONF_PROXY),
	H(MSG_PARENT_VERBOSE),
};
static const struct msg_handler to_wrkrpop[] = {
	H(MSG_PARENT_CONF), H(MSG_PARENT_WORKER),
};
static const struct msg_handler from_listener[] = {
	H(MSG_LISTENER_SESSION),
};
static const struct msg_handler from_authpop[] = {
	H(MSG_AUTHPOP_LOGIN), H(MSG_AUTHPOP_CLOSED), H(MSG_AUTHPOP_STLS),
	H(MSG_AUTHPOP_PENALTY), H(MSG_AUTHPOP_READY), H(MSG_AUTHPOP_LOOKUP),
	H(MSG_AUTHPOP_ROUTE),
};
static const struct msg_handler to_lmtp[] = {
	H(MSG_PARENT_CONF), H(MSG_PARENT_CONF_END), H(MSG_PARENT_LISTEN),
	H(MSG_PARENT_DRAIN), H(MSG_PARENT_RCPT), H(MSG_PARENT_DELIVERED),
	H(MSG_PARENT_VERBOSE),
};
static const struct msg_handler to_dlvrpop[] = {
	H(MSG_PARENT_CONF), H(MSG_PARENT_WORKER), H(MSG_PARENT_DELIVER),
	H(MSG_PARENT_DLVCHECK),
};
static const struct msg_handler from_lmtp[] = {
	H(MSG_LMTP_RCPT), H(MSG_LMTP_DELIVER),
};
static const struct msg_handler from_dlvrpop[] = {
	H(MSG_DLVRPOP_INTENT), H(MSG_DLVRPOP_DONE),
};
static const struct msg_handler to_control[] = {
	H(MSG_PARENT_CONF), H(MSG_PARENT_CONF_END), H(MSG_PARENT_LISTEN),
	H(MSG_PARENT_ANSWER), H(MSG_PARENT_VERBOSE),
};
static const struct msg_handler from_control[] = {
	H(MSG_CONTROL_REQUEST),
};
