using System.Text.Json;
using System.Text.Json.Serialization;

namespace NativeAotPersistence.Tests.Payloads;

/// <summary>The System.Text.Json options whose wire format the payload serializers match.</summary>
internal static class ReferenceOptions
{
    public static readonly JsonSerializerOptions Default = new();

    public static JsonSerializerOptions For(PayloadNamingPolicy policy, bool enumsAsNumbers = false)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = policy switch
            {
                PayloadNamingPolicy.CamelCase => JsonNamingPolicy.CamelCase,
                PayloadNamingPolicy.SnakeCase => JsonNamingPolicy.SnakeCaseLower,
                PayloadNamingPolicy.KebabCase => JsonNamingPolicy.KebabCaseLower,
                _ => null,
            },
            IncludeFields = true,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            NumberHandling = JsonNumberHandling.Strict,
        };
        if (!enumsAsNumbers)
        {
            options.Converters.Add(new JsonStringEnumConverter());
        }

        return options;
    }
}
