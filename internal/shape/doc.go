// Package shape analyses Go types once (fields, JSON names, requiredness and
// constraint tags) so that the decoder, the encoder, the validators and the
// schema generator all agree on one description of each type.
package shape
