package pyjson_test

import (
	"fmt"

	"github.com/dmr-go/dmr/pyjson"
)

func ExampleMarshal() {
	o := pyjson.NewObject(2)
	o.Set("name", "José 🐍")
	o.Set("ratio", 1.0)
	b, err := pyjson.Marshal(o)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output: {"name":"Jos\u00e9 \ud83d\udc0d","ratio":1.0}
}

func ExampleUnmarshal() {
	v, err := pyjson.Unmarshal([]byte(`{"b": 1, "a": [2.5, "x"]}`))
	if err != nil {
		panic(err)
	}
	o := v.(*pyjson.Object)
	fmt.Println(o.Keys())
	a, _ := o.Get("a")
	fmt.Printf("%#v\n", a)
	// Output:
	// [b a]
	// []interface {}{2.5, "x"}
}

func ExampleObject() {
	var o pyjson.Object
	o.Set("first", 1)
	o.Set("second", 2)
	o.Set("first", 3) // keeps its place
	o.Delete("second")
	b, _ := pyjson.Marshal(&o)
	fmt.Println(string(b))
	// Output: {"first":3}
}
