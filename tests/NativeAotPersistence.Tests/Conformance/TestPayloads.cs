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

    public override PayloadTypeInfo? GetTypeInfo(Type type) => type == typeof(Point) ? PointInfo.Instance : null;
}

/// <summary>A type nobody registered.</summary>
public sealed record Unregistered(int Value);
