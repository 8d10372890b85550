using System.Text.Json;
using NativeAotPersistence.Payloads;

namespace NativeAotPersistence;

/// <summary>
/// Serializers for the payload types that need no <see cref="PayloadContext"/>: strings, booleans, numbers, <see cref="Guid"/>,
/// dates, <see cref="TimeSpan"/>, byte arrays (base64) and the nullable forms of the value types. Resolved with
/// <c>typeof(T) == typeof(X)</c> checks that the JIT and NativeAOT fold away; no reflection.
/// </summary>
internal static class BuiltInPayloads
{
    /// <summary>Gets the built-in serializer for <typeparamref name="T"/>, or <see langword="null"/> if it is not built in.</summary>
    public static PayloadTypeInfo<T>? Get<T>() => Cache<T>.Info;

    private static PayloadTypeInfo? Create<T>()
    {
        if (typeof(T) == typeof(string)) return StringInfo.Instance;
        if (typeof(T) == typeof(byte[])) return ByteArrayInfo.Instance;
        if (typeof(T) == typeof(bool)) return BooleanInfo.Instance;
        if (typeof(T) == typeof(bool?)) return new NullableInfo<bool>(BooleanInfo.Instance);
        if (typeof(T) == typeof(byte)) return ByteInfo.Instance;
        if (typeof(T) == typeof(byte?)) return new NullableInfo<byte>(ByteInfo.Instance);
        if (typeof(T) == typeof(sbyte)) return SByteInfo.Instance;
        if (typeof(T) == typeof(sbyte?)) return new NullableInfo<sbyte>(SByteInfo.Instance);
        if (typeof(T) == typeof(short)) return Int16Info.Instance;
        if (typeof(T) == typeof(short?)) return new NullableInfo<short>(Int16Info.Instance);
        if (typeof(T) == typeof(ushort)) return UInt16Info.Instance;
        if (typeof(T) == typeof(ushort?)) return new NullableInfo<ushort>(UInt16Info.Instance);
        if (typeof(T) == typeof(int)) return Int32Info.Instance;
        if (typeof(T) == typeof(int?)) return new NullableInfo<int>(Int32Info.Instance);
        if (typeof(T) == typeof(uint)) return UInt32Info.Instance;
        if (typeof(T) == typeof(uint?)) return new NullableInfo<uint>(UInt32Info.Instance);
        if (typeof(T) == typeof(long)) return Int64Info.Instance;
        if (typeof(T) == typeof(long?)) return new NullableInfo<long>(Int64Info.Instance);
        if (typeof(T) == typeof(ulong)) return UInt64Info.Instance;
        if (typeof(T) == typeof(ulong?)) return new NullableInfo<ulong>(UInt64Info.Instance);
        if (typeof(T) == typeof(float)) return SingleInfo.Instance;
        if (typeof(T) == typeof(float?)) return new NullableInfo<float>(SingleInfo.Instance);
        if (typeof(T) == typeof(double)) return DoubleInfo.Instance;
        if (typeof(T) == typeof(double?)) return new NullableInfo<double>(DoubleInfo.Instance);
        if (typeof(T) == typeof(decimal)) return DecimalInfo.Instance;
        if (typeof(T) == typeof(decimal?)) return new NullableInfo<decimal>(DecimalInfo.Instance);
        if (typeof(T) == typeof(Guid)) return GuidInfo.Instance;
        if (typeof(T) == typeof(Guid?)) return new NullableInfo<Guid>(GuidInfo.Instance);
        if (typeof(T) == typeof(DateTime)) return DateTimeInfo.Instance;
        if (typeof(T) == typeof(DateTime?)) return new NullableInfo<DateTime>(DateTimeInfo.Instance);
        if (typeof(T) == typeof(DateTimeOffset)) return DateTimeOffsetInfo.Instance;
        if (typeof(T) == typeof(DateTimeOffset?)) return new NullableInfo<DateTimeOffset>(DateTimeOffsetInfo.Instance);
        if (typeof(T) == typeof(TimeSpan)) return TimeSpanInfo.Instance;
        if (typeof(T) == typeof(TimeSpan?)) return new NullableInfo<TimeSpan>(TimeSpanInfo.Instance);
        return null;
    }

    private static class Cache<T>
    {
        public static readonly PayloadTypeInfo<T>? Info = (PayloadTypeInfo<T>?)Create<T>();
    }

    private sealed class NullableInfo<T>(PayloadTypeInfo<T> inner) : PayloadTypeInfo<T?>
        where T : struct
    {
        public override void Write(Utf8JsonWriter writer, T? value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            if (value.HasValue)
            {
                inner.Write(writer, value.GetValueOrDefault());
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        public override T? Read(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null ? null : inner.Read(ref reader);
    }

    private sealed class StringInfo : PayloadTypeInfo<string>
    {
        public static readonly StringInfo Instance = new();

        public override void Write(Utf8JsonWriter writer, string value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            PayloadJson.WriteString(writer, value);
        }

        public override string Read(ref Utf8JsonReader reader) => PayloadJson.ReadString(ref reader)!;
    }

    private sealed class ByteArrayInfo : PayloadTypeInfo<byte[]>
    {
        public static readonly ByteArrayInfo Instance = new();

        public override void Write(Utf8JsonWriter writer, byte[] value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            PayloadJson.WriteBytes(writer, value);
        }

        public override byte[] Read(ref Utf8JsonReader reader) => PayloadJson.ReadBytes(ref reader)!;
    }

    private sealed class BooleanInfo : PayloadTypeInfo<bool>
    {
        public static readonly BooleanInfo Instance = new();

        public override void Write(Utf8JsonWriter writer, bool value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteBooleanValue(value);
        }

        public override bool Read(ref Utf8JsonReader reader) => PayloadJson.ReadBoolean(ref reader);
    }

    private sealed class ByteInfo : PayloadTypeInfo<byte>
    {
        public static readonly ByteInfo Instance = new();

        public override void Write(Utf8JsonWriter writer, byte value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteNumberValue(value);
        }

        public override byte Read(ref Utf8JsonReader reader) => PayloadJson.ReadByte(ref reader);
    }

    private sealed class SByteInfo : PayloadTypeInfo<sbyte>
    {
        public static readonly SByteInfo Instance = new();

        public override void Write(Utf8JsonWriter writer, sbyte value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteNumberValue(value);
        }

        public override sbyte Read(ref Utf8JsonReader reader) => PayloadJson.ReadSByte(ref reader);
    }

    private sealed class Int16Info : PayloadTypeInfo<short>
    {
        public static readonly Int16Info Instance = new();

        public override void Write(Utf8JsonWriter writer, short value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteNumberValue(value);
        }

        public override short Read(ref Utf8JsonReader reader) => PayloadJson.ReadInt16(ref reader);
    }

    private sealed class UInt16Info : PayloadTypeInfo<ushort>
    {
        public static readonly UInt16Info Instance = new();

        public override void Write(Utf8JsonWriter writer, ushort value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteNumberValue(value);
        }

        public override ushort Read(ref Utf8JsonReader reader) => PayloadJson.ReadUInt16(ref reader);
    }

    private sealed class Int32Info : PayloadTypeInfo<int>
    {
        public static readonly Int32Info Instance = new();

        public override void Write(Utf8JsonWriter writer, int value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteNumberValue(value);
        }

        public override int Read(ref Utf8JsonReader reader) => PayloadJson.ReadInt32(ref reader);
    }

    private sealed class UInt32Info : PayloadTypeInfo<uint>
    {
        public static readonly UInt32Info Instance = new();

        public override void Write(Utf8JsonWriter writer, uint value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteNumberValue(value);
        }

        public override uint Read(ref Utf8JsonReader reader) => PayloadJson.ReadUInt32(ref reader);
    }

    private sealed class Int64Info : PayloadTypeInfo<long>
    {
        public static readonly Int64Info Instance = new();

        public override void Write(Utf8JsonWriter writer, long value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteNumberValue(value);
        }

        public override long Read(ref Utf8JsonReader reader) => PayloadJson.ReadInt64(ref reader);
    }

    private sealed class UInt64Info : PayloadTypeInfo<ulong>
    {
        public static readonly UInt64Info Instance = new();

        public override void Write(Utf8JsonWriter writer, ulong value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteNumberValue(value);
        }

        public override ulong Read(ref Utf8JsonReader reader) => PayloadJson.ReadUInt64(ref reader);
    }

    private sealed class SingleInfo : PayloadTypeInfo<float>
    {
        public static readonly SingleInfo Instance = new();

        public override void Write(Utf8JsonWriter writer, float value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteNumberValue(value);
        }

        public override float Read(ref Utf8JsonReader reader) => PayloadJson.ReadSingle(ref reader);
    }

    private sealed class DoubleInfo : PayloadTypeInfo<double>
    {
        public static readonly DoubleInfo Instance = new();

        public override void Write(Utf8JsonWriter writer, double value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteNumberValue(value);
        }

        public override double Read(ref Utf8JsonReader reader) => PayloadJson.ReadDouble(ref reader);
    }

    private sealed class DecimalInfo : PayloadTypeInfo<decimal>
    {
        public static readonly DecimalInfo Instance = new();

        public override void Write(Utf8JsonWriter writer, decimal value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteNumberValue(value);
        }

        public override decimal Read(ref Utf8JsonReader reader) => PayloadJson.ReadDecimal(ref reader);
    }

    private sealed class GuidInfo : PayloadTypeInfo<Guid>
    {
        public static readonly GuidInfo Instance = new();

        public override void Write(Utf8JsonWriter writer, Guid value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteStringValue(value);
        }

        public override Guid Read(ref Utf8JsonReader reader) => PayloadJson.ReadGuid(ref reader);
    }

    private sealed class DateTimeInfo : PayloadTypeInfo<DateTime>
    {
        public static readonly DateTimeInfo Instance = new();

        public override void Write(Utf8JsonWriter writer, DateTime value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteStringValue(value);
        }

        public override DateTime Read(ref Utf8JsonReader reader) => PayloadJson.ReadDateTime(ref reader);
    }

    private sealed class DateTimeOffsetInfo : PayloadTypeInfo<DateTimeOffset>
    {
        public static readonly DateTimeOffsetInfo Instance = new();

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteStringValue(value);
        }

        public override DateTimeOffset Read(ref Utf8JsonReader reader) => PayloadJson.ReadDateTimeOffset(ref reader);
    }

    private sealed class TimeSpanInfo : PayloadTypeInfo<TimeSpan>
    {
        public static readonly TimeSpanInfo Instance = new();

        public override void Write(Utf8JsonWriter writer, TimeSpan value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            PayloadJson.WriteTimeSpan(writer, value);
        }

        public override TimeSpan Read(ref Utf8JsonReader reader) => PayloadJson.ReadTimeSpan(ref reader);
    }
}
