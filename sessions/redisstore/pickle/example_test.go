package pickle_test

import (
	"fmt"

	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions/redisstore/pickle"
)

func ExampleMarshal() {
	o := pyjson.NewObject(1)
	o.Set("foo", "bar")
	b, _ := pickle.Marshal(o)
	fmt.Printf("%x\n", b) // pickle.dumps({"foo": "bar"}, 5)
	// Output: 80059510000000000000007d948c03666f6f948c0362617294732e
}

func ExampleUnmarshal() {
	// What Django's RedisCache stored for the session {"_auth_user_id": "1"}.
	o, err := pickle.Unmarshal([]byte("\x80\x05\x95\x18\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\r_auth_user_id\x94\x8c\x011\x94s."))
	fmt.Println(o.Keys(), err)
	// A pickle that would run os.system in Python is refused.
	_, err = pickle.Unmarshal([]byte("cos\nsystem\n(S'id'\ntR."))
	fmt.Println(err)
	// Output:
	// [_auth_user_id] <nil>
	// pickle: unsupported content: opcode 0x63 (GLOBAL) at offset 0
}
