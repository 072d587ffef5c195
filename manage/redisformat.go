package manage

import (
	"fmt"

	"github.com/dmr-go/dmr/sessions/redisstore"
)

// Environment variables choosing the format of sessions in Redis (the
// redis and cached_db stores).
const (
	// EnvRedisBackend is the Django cache backend sharing the sessions:
	// "django" (django.core.cache.backends.redis.RedisCache, the default)
	// or "django_redis" (django_redis.cache.RedisCache); the dotted paths
	// are accepted too.
	EnvRedisBackend = "DMR_REDIS_BACKEND"
	// EnvRedisCompressor is django-redis's OPTIONS["COMPRESSOR"]: "zlib"
	// (or django_redis.compressors.zlib.ZlibCompressor), or "none", the
	// default. Only with DMR_REDIS_BACKEND=django_redis.
	EnvRedisCompressor = "DMR_REDIS_COMPRESSOR"
)

// redisFormatFromEnv parses DMR_REDIS_BACKEND and DMR_REDIS_COMPRESSOR
// (empty means the default).
func redisFormatFromEnv(backend, compressor string) (redisstore.Format, redisstore.Compressor, error) {
	var f redisstore.Format
	switch backend {
	case "", "django", "django.core.cache.backends.redis.RedisCache":
		f = redisstore.FormatDjango
	case "django_redis", "django_redis.cache.RedisCache":
		f = redisstore.FormatDjangoRedis
	default:
		return 0, 0, fmt.Errorf("%s=%q: want django or django_redis", EnvRedisBackend, backend)
	}
	var c redisstore.Compressor
	switch compressor {
	case "", "none", "django_redis.compressors.identity.IdentityCompressor":
		c = redisstore.CompressorNone
	case "zlib", "django_redis.compressors.zlib.ZlibCompressor":
		c = redisstore.CompressorZlib
	default:
		return 0, 0, fmt.Errorf("%s=%q: want zlib or none", EnvRedisCompressor, compressor)
	}
	return f, c, nil
}

// validateRedisFormat checks Config.RedisFormat and RedisCompressor.
func (c Config) validateRedisFormat() error {
	switch c.RedisFormat {
	case redisstore.FormatDjango, redisstore.FormatDjangoRedis:
	default:
		return fmt.Errorf("%s: unknown %v", EnvRedisBackend, c.RedisFormat)
	}
	switch c.RedisCompressor {
	case redisstore.CompressorNone:
	case redisstore.CompressorZlib:
		if c.RedisFormat != redisstore.FormatDjangoRedis {
			return fmt.Errorf("%s=zlib needs %s=django_redis (Django's own RedisCache does not compress)", EnvRedisCompressor, EnvRedisBackend)
		}
	default:
		return fmt.Errorf("%s: unknown %v", EnvRedisCompressor, c.RedisCompressor)
	}
	return nil
}
