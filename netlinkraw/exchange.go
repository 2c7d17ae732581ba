package netlinkraw

import "github.com/nl2tp/nl2tp/internal/text"

// An exchange follows the replies to one request or dump. It is the
// socket-free part of Conn.Request and Conn.Dump: feed it each datagram
// received until it reports done.
type exchange struct {
	op   string
	seq  uint32
	port uint32
	dump bool // a dump ends at NLMSG_DONE; a request at its ACK
	fn   func(Header, []byte) error

	fnErr error
	intr  bool

	// partial is set while feed gets a datagram the receive buffer cut
	// short: its last message is incomplete and not an error. cutFull and
	// cutGot are the real and received lengths of the last such datagram
	// of this exchange.
	partial         bool
	cutFull, cutGot int
}

// feed processes the messages of one datagram. Messages for another
// sequence number or port ID (stale replies of an abandoned exchange,
// multicast events) are dropped. It returns done, with the exchange's
// result, once the final message has arrived.
func (x *exchange) feed(b []byte) (done bool, err error) {
	var d MessageDecoder
	d.Reset(b)
	for d.Next() {
		h := d.Header()
		if h.Seq != x.seq || h.PortID != x.port {
			continue
		}
		if h.Flags&FlagDumpIntr != 0 {
			x.intr = true
		}
		var (
			a    ackInfo
			perr error
		)
		switch h.Type {
		case TypeError:
			a, perr = parseError(h.Flags, d.Payload())
		case TypeDone:
			if !x.dump {
				continue // a multipart reply ended; its ACK follows
			}
			a, perr = parseDone(h.Flags, d.Payload())
		case TypeNoop, TypeOverrun:
			continue
		default:
			if x.fn != nil && x.fnErr == nil {
				x.fnErr = x.fn(h, d.Payload())
			}
			continue
		}
		if kerr := a.err(x.op, x.seq); kerr != nil {
			return true, kerr
		}
		if perr != nil {
			return true, text.Wrap("netlinkraw: "+x.op+": ", perr, "")
		}
		if x.fnErr != nil {
			return true, x.fnErr
		}
		if x.intr {
			return true, text.Wrap("netlinkraw: "+x.op+": ", ErrDumpInterrupted, "")
		}
		return true, nil
	}
	if err := d.Err(); err != nil && !x.partial {
		return true, text.Wrap("netlinkraw: "+x.op+": ", err, "")
	}
	return false, nil
}

// A batchExchange follows the ACKs of messages i..j-1 of a batch whose
// first sequence number is base.
type batchExchange struct {
	op      string
	base    uint32
	port    uint32
	i, j    int
	results []error
	done    []bool
	pending int
	partial bool // the datagram fed was cut short (see exchange.partial)
}

// feed records the ACKs in one datagram. Replies other than ACKs, and
// messages for other sequence numbers or ports, are dropped. It fails only
// on a malformed datagram.
func (x *batchExchange) feed(b []byte) error {
	var d MessageDecoder
	d.Reset(b)
	for d.Next() {
		h := d.Header()
		off := h.Seq - x.base
		if h.PortID != x.port || off >= uint32(len(x.results)) {
			continue
		}
		k := int(off)
		if k < x.i || k >= x.j || x.done[k] {
			continue
		}
		var (
			a    ackInfo
			perr error
		)
		switch h.Type {
		case TypeError:
			a, perr = parseError(h.Flags, d.Payload())
		case TypeDone:
			a, perr = parseDone(h.Flags, d.Payload())
		default:
			continue // a reply; only ACKs count
		}
		x.done[k] = true
		x.pending--
		if kerr := a.err(x.op, h.Seq); kerr != nil {
			x.results[k] = kerr
		} else if perr != nil {
			x.results[k] = text.Wrap("netlinkraw: "+x.op+": message "+text.Itoa(k)+": ", perr, "")
		}
	}
	if err := d.Err(); err != nil && !x.partial {
		return text.Wrap("netlinkraw: "+x.op+": ", err, "")
	}
	return nil
}
