package netlinkraw

import (
	"encoding/binary"
	"errors"
	"slices"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testPort = 0x39f2

// wireMsg builds one message.
func wireMsg(typ, flags uint16, seq uint32, payload []byte) []byte {
	var e Encoder
	m := e.BeginMessage(typ, flags, seq, testPort)
	e.Raw(payload)
	e.EndMessage(m)
	b, _ := e.Encoded()
	return b
}

// errPayload is the payload of a capped NLMSG_ERROR with errno (negative).
func errPayload(errno int32, seq uint32) []byte {
	b := binary.NativeEndian.AppendUint32(nil, uint32(errno))
	var e Encoder
	e.ResetAppend(b)
	m := e.BeginMessage(0x10, FlagRequest|FlagAck, seq, testPort)
	e.EndMessage(m)
	b, _ = e.Encoded()
	return b
}

func ackMsg(seq uint32, errno int32) []byte {
	return wireMsg(TypeError, FlagCapped, seq, errPayload(errno, seq))
}

func doneMsg(seq uint32, errno int32) []byte {
	return wireMsg(TypeDone, FlagMulti, seq, binary.NativeEndian.AppendUint32(nil, uint32(errno)))
}

func cat(msgs ...[]byte) []byte { return slices.Concat(msgs...) }

func TestExchangeRequest(t *testing.T) {
	const seq = 100
	reply := wireMsg(0x10, 0, seq, []byte{1, 0, 0, 0})
	stale := cat(wireMsg(0x10, 0, seq-1, []byte{9, 0, 0, 0}), ackMsg(seq-1, -2))
	event := func() []byte {
		var e Encoder
		m := e.BeginMessage(0x10, 0, 0, 0) // multicast: seq 0, port 0
		e.Raw([]byte{7, 0, 0, 0})
		e.EndMessage(m)
		b, _ := e.Encoded()
		return b
	}()
	otherPort := func() []byte {
		b := ackMsg(seq, 0)
		binary.NativeEndian.PutUint32(b[12:], testPort+1)
		return b
	}()
	errStop := errors.New("stop")
	tests := []struct {
		name      string
		datagrams [][]byte
		fnErr     error
		wantCalls int
		wantDone  int // index of the datagram that ends the exchange, -1 for none
		wantErr   error
	}{
		{name: "reply and ack together", datagrams: [][]byte{cat(reply, ackMsg(seq, 0))}, wantCalls: 1, wantDone: 0},
		{name: "ack alone", datagrams: [][]byte{ackMsg(seq, 0)}, wantDone: 0},
		{
			name:      "stale replies, events and other ports dropped",
			datagrams: [][]byte{stale, event, otherPort, reply, ackMsg(seq, 0)},
			wantCalls: 1, wantDone: 4,
		},
		{
			name:      "multipart reply: DONE does not end a request",
			datagrams: [][]byte{cat(wireMsg(0x10, FlagMulti, seq, nil), doneMsg(seq, 0)), ackMsg(seq, 0)},
			wantCalls: 1, wantDone: 1,
		},
		{name: "kernel error", datagrams: [][]byte{ackMsg(seq, -17)}, wantDone: 0, wantErr: syscall.EEXIST},
		{name: "fn error after the ack", datagrams: [][]byte{reply, ackMsg(seq, 0)}, fnErr: errStop, wantCalls: 1, wantDone: 1, wantErr: errStop},
		{name: "no ack yet", datagrams: [][]byte{reply, stale}, wantCalls: 1, wantDone: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			x := &exchange{op: "request", seq: seq, port: testPort, fn: func(h Header, p []byte) error {
				calls++
				if h.Seq != seq {
					t.Errorf("fn got seq %d", h.Seq)
				}
				return tt.fnErr
			}}
			doneAt := -1
			var err error
			for i, d := range tt.datagrams {
				var done bool
				if done, err = x.feed(d); done {
					doneAt = i
					break
				}
			}
			if doneAt != tt.wantDone {
				t.Errorf("done at datagram %d, want %d", doneAt, tt.wantDone)
			}
			if calls != tt.wantCalls {
				t.Errorf("fn called %d times, want %d", calls, tt.wantCalls)
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			var e *Error
			if errors.As(err, &e) && e.Seq != seq {
				t.Errorf("Error.Seq %d, want %d", e.Seq, seq)
			}
		})
	}
}

func TestExchangeDump(t *testing.T) {
	const seq = 7
	part := func(flags uint16, v byte) []byte { return wireMsg(0x10, FlagMulti|flags, seq, []byte{v, 0, 0, 0}) }
	doneExtAck := wireMsg(TypeDone, FlagMulti|FlagAckTLVs, seq,
		[]byte{0xea, 0xff, 0xff, 0xff, 0x09, 0x00, 0x01, 0x00, 'o', 'o', 'p', 's', 0x00, 0x00, 0x00, 0x00})
	tests := []struct {
		name      string
		datagrams [][]byte
		want      []byte // first payload byte of each message fn saw
		wantErr   error
		wantMsg   string
	}{
		{
			name:      "three datagrams",
			datagrams: [][]byte{cat(part(0, 1), part(0, 2)), part(0, 3), doneMsg(seq, 0)},
			want:      []byte{1, 2, 3},
		},
		{name: "empty dump", datagrams: [][]byte{doneMsg(seq, 0)}},
		{
			name:      "error in DONE",
			datagrams: [][]byte{part(0, 1), doneMsg(seq, -16)},
			want:      []byte{1}, wantErr: syscall.EBUSY,
		},
		{
			name:      "error in DONE with extended ACK",
			datagrams: [][]byte{cat(part(0, 1), doneExtAck)},
			want:      []byte{1}, wantErr: syscall.EINVAL, wantMsg: "oops",
		},
		{name: "NLMSG_ERROR instead of a dump", datagrams: [][]byte{ackMsg(seq, -95)}, wantErr: syscall.EOPNOTSUPP},
		{
			name:      "interrupted",
			datagrams: [][]byte{part(0, 1), part(FlagDumpIntr, 2), cat(part(0, 3), doneMsg(seq, 0))},
			want:      []byte{1, 2, 3}, wantErr: ErrDumpInterrupted,
		},
		{
			name:      "interrupt flag on DONE only",
			datagrams: [][]byte{part(0, 1), wireMsg(TypeDone, FlagMulti|FlagDumpIntr, seq, []byte{0, 0, 0, 0})},
			want:      []byte{1}, wantErr: ErrDumpInterrupted,
		},
		{
			name:      "stale dump parts dropped",
			datagrams: [][]byte{wireMsg(0x10, FlagMulti, seq-1, []byte{9, 0, 0, 0}), doneMsg(seq-1, 0), part(0, 1), doneMsg(seq, 0)},
			want:      []byte{1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []byte
			x := &exchange{op: "dump", seq: seq, port: testPort, dump: true, fn: func(h Header, p []byte) error {
				got = append(got, p[0])
				return nil
			}}
			var (
				err  error
				done bool
			)
			for i, d := range tt.datagrams {
				if done, err = x.feed(d); done {
					if i != len(tt.datagrams)-1 {
						t.Errorf("done at datagram %d of %d", i, len(tt.datagrams))
					}
					break
				}
			}
			if !done {
				t.Fatal("dump never done")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("unexpected messages (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			var e *Error
			if tt.wantMsg != "" && (!errors.As(err, &e) || e.Message != tt.wantMsg) {
				t.Errorf("error %v, want ext-ack message %q", err, tt.wantMsg)
			}
		})
	}
}

func TestExchangeMalformed(t *testing.T) {
	x := &exchange{op: "request", seq: 1, port: testPort}
	done, err := x.feed([]byte{0x40, 0, 0, 0, 2, 0, 0, 0})
	if !done || !errors.Is(err, ErrTruncated) {
		t.Errorf("feed of a truncated datagram: done %v err %v", done, err)
	}
	// An NLMSG_ERROR too short for its errno.
	x = &exchange{op: "request", seq: 1, port: testPort}
	short := wireMsg(TypeError, 0, 1, []byte{1, 2})
	binary.NativeEndian.PutUint32(short, HeaderLen+2)
	done, err = x.feed(short)
	if !done || !errors.Is(err, ErrTruncated) {
		t.Errorf("feed of a short error: done %v err %v", done, err)
	}
}

func TestBatchExchange(t *testing.T) {
	const base = 0xfffffffe // sequence numbers wrap around within the batch
	n := 6
	x := batchExchange{op: "batch", base: base, port: testPort, i: 2, j: 5, results: make([]error, n), done: make([]bool, n), pending: 3}
	seq := func(k int) uint32 { return base + uint32(k) }
	err := x.feed(cat(
		ackMsg(seq(1), -1),                           // outside this write: ignored
		wireMsg(0x10, 0, seq(2), []byte{1, 0, 0, 0}), // a reply, not an ACK
		ackMsg(seq(2), 0),
		ackMsg(seq(2), -17), // duplicate: ignored
		ackMsg(seq(3), -2),
		ackMsg(seq(9), -2), // beyond the batch
	))
	if err != nil {
		t.Fatal(err)
	}
	if x.pending != 1 {
		t.Errorf("pending %d, want 1", x.pending)
	}
	if err := x.feed(doneMsg(seq(4), 0)); err != nil {
		t.Fatal(err)
	}
	if x.pending != 0 {
		t.Errorf("pending %d, want 0", x.pending)
	}
	wantDone := []bool{false, false, true, true, true, false}
	if diff := cmp.Diff(wantDone, x.done); diff != "" {
		t.Errorf("unexpected done (-want +got):\n%s", diff)
	}
	for k, r := range x.results {
		var e *Error
		switch {
		case k == 3:
			if !errors.As(r, &e) || e.Err != syscall.ENOENT || e.Seq != seq(3) {
				t.Errorf("result %d: %v, want ENOENT with seq %d", k, r, seq(3))
			}
		case r != nil:
			t.Errorf("result %d: %v, want nil", k, r)
		}
	}
}
