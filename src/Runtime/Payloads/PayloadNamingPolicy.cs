namespace NativeAotPersistence;

/// <summary>How generated serializers name JSON properties, matching System.Text.Json's policies.</summary>
public enum PayloadNamingPolicy
{
    /// <summary><c>orderId</c> (<c>JsonNamingPolicy.CamelCase</c>).</summary>
    CamelCase,

    /// <summary><c>OrderId</c>: the member name as declared.</summary>
    PascalCase,

    /// <summary><c>order_id</c> (<c>JsonNamingPolicy.SnakeCaseLower</c>).</summary>
    SnakeCase,

    /// <summary><c>order-id</c> (<c>JsonNamingPolicy.KebabCaseLower</c>).</summary>
    KebabCase,
}
