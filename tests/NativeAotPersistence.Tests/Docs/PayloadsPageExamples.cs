#pragma warning disable CA1852 // The page declares the context as users write it.
#pragma warning disable SA1402, SA1649 // The page's types, together.

namespace NativeAotPersistence.Tests.Docs.PayloadsPage
{
    public sealed record OrderLine(string Sku, int Quantity);

    public sealed record OrderState(string Id, List<OrderLine> Lines);

    // snippet: PayloadContext
    [Payload(typeof(OrderState))]
    [Payload(typeof(List<OrderLine>))]
    [Payload(typeof(Billing.OrderState), PropertyName = "BillingOrderState")]    // two roots with one name
    [PayloadOptions(NamingPolicy = PayloadNamingPolicy.CamelCase)]               // default; PascalCase, SnakeCase, KebabCase
    internal partial class AppPayloads : PayloadContext { }
    // end snippet

    /// <summary>docs/payloads.md's examples.</summary>
    public sealed class PayloadsPageTests
    {
        [Fact]
        public void APayloadTypeInfo_WritesAndReadsItsType()
        {
            var state = new OrderState("42", [new OrderLine("book", 2)]);

            // snippet: PayloadTypeInfo
            // AppPayloads.Default.OrderState is a PayloadTypeInfo<OrderState>:
            byte[] json = AppPayloads.Default.OrderState.Serialize(state);
            OrderState again = AppPayloads.Default.OrderState.Deserialize(json);
            // several contexts: Payloads = PayloadContext.Combine(AppPayloads.Default, OtherPayloads.Default)
            // end snippet

            Assert.Equal("""{"id":"42","lines":[{"sku":"book","quantity":2}]}""", System.Text.Encoding.UTF8.GetString(json));
            Assert.Equal(("42", "book", 2), (again.Id, again.Lines[0].Sku, again.Lines[0].Quantity));
            Assert.NotNull(AppPayloads.Default.BillingOrderState);
            Assert.NotNull(AppPayloads.Default.ListOrderLine);
        }
    }
}

namespace NativeAotPersistence.Tests.Docs.PayloadsPage.Billing
{
    public sealed record OrderState(string InvoiceId);
}
