using System.Text.Json;

namespace NativeAotPersistence.Tests.Conformance;

public sealed record Point(int X, int Y);

/// <summary>A hand-written serializer, as the generator would emit it: <c>{"x":1,"y":2}</c>.</summary>
public sealed class PointInfo : PayloadTypeInfo<Point>
{
    public static readonly PointInfo Instance = new();

    public override void Write(Utf8JsonWriter writer, Point value)
    {
        writer.WriteStartObject();
        writer.WriteNumber("x", value.X);
        writer.WriteNumber("y", value.Y);
        writer.WriteEndObject();
    }

    public override Point Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Expected an object for Point.");
        }

        int x = 0, y = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "x":
                    x = reader.GetInt32();
                    break;
                case "y":
                    y = reader.GetInt32();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new Point(x, y);
    }
}

public sealed class TestPayloads : PayloadContext
{
    public static readonly TestPayloads Default = new();

    public override PayloadTypeInfo? GetTypeInfo(Type type) =>
        type == typeof(Point) ? PointInfo.Instance : type == typeof(Nest) ? NestInfo.Instance : null;
}

/// <summary>A type nobody registered.</summary>
public sealed record Unregistered(int Value);

/// <summary>A recursive payload: <c>{"inner":{"inner":null}}</c>, as deep as it is built.</summary>
public sealed class Nest(Nest? inner)
{
    public Nest? Inner { get; } = inner;

    /// <summary>A chain of <paramref name="depth"/> nested objects (depth 1: <c>{"inner":null}</c>).</summary>
    public static Nest Of(int depth)
    {
        var nest = new Nest(null);
        for (var i = 1; i < depth; i++)
        {
            nest = new Nest(nest);
        }

        return nest;
    }

    public int Depth => 1 + (Inner?.Depth ?? 0);
}

/// <summary>The recursive serializer the generator emits for <see cref="Nest"/>.</summary>
public sealed class NestInfo : PayloadTypeInfo<Nest>
{
    public static readonly NestInfo Instance = new();

    public override void Write(Utf8JsonWriter writer, Nest value)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("inner");
        if (value.Inner is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            Write(writer, value.Inner);
        }

        writer.WriteEndObject();
    }

    public override Nest Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Expected an object for Nest.");
        }

        Nest? inner = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            if (name == "inner" && reader.TokenType != JsonTokenType.Null)
            {
                inner = Read(ref reader);
            }
            else if (name != "inner")
            {
                reader.Skip();
            }
        }

        return new Nest(inner);
    }
}
