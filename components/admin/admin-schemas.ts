// The request schemas the admin forms check with: the very ones the routes parse with.
export { CreateTokenRequest, CreateUserRequest } from "@/lib/auth/schemas";
export { ProtectedAssetInput } from "@/lib/mdr/protected-asset-schema";
