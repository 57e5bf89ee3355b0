import { redirect } from "next/navigation";

// The analyst's page is the product; the API is under /api/v1 (GET /api/v1/openapi.json).
export default function Home() {
  redirect("/mdr");
}
